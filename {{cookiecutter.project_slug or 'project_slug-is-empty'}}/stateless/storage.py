"""Media in S3: django-storages' S3Storage with bounded waits and few retries, keys that cannot
collide, and objects that a browser downloads, never renders.

The botocore configuration is made when the storage is first used, not in the settings: importing
botocore takes about a tenth of a second and 5 MB, which every process paid at start, whether or not
it ever touched a file.
"""

import posixpath
import secrets

from botocore.config import Config
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class MediaStorage(S3Storage):  # type: ignore[misc]  # django-storages ships no types
    def __init__(self, **options):
        path_style = bool(options.get("endpoint_url"))  # S3-compatible stores rarely have bucket subdomains
        options.setdefault(
            "client_config",
            Config(
                signature_version="s3v4",
                s3={"addressing_style": "path" if path_style else "auto"},
                connect_timeout=2,
                read_timeout=10,
                retries={"max_attempts": 2, "mode": "standard"},
            ),
        )
        super().__init__(**options)

    def get_available_name(self, name, max_length=None):
        """A key no other upload can take: a random folder before the file's name. Asking the bucket
        whether a name is taken and then writing it lets two processes that upload the same name at
        the same moment write one object, the second silently replacing the first."""
        folder, filename = posixpath.split(clean_name(name))
        return super().get_available_name(posixpath.join(folder, secrets.token_hex(8), filename), max_length)
