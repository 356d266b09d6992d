from urllib.parse import urlsplit

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import TemplateView

site = urlsplit(settings.SITE_URL)  # links in password-reset mail: to SITE_URL, never to the request's Host
password_reset = auth_views.PasswordResetView.as_view(
    extra_email_context={"protocol": site.scheme, "domain": site.netloc, "site_name": site.netloc}
)

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("accounts/password_reset/", password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
{%- if cookiecutter.include_example_app == "yes" %}
    path("documents/", include("documents.urls")),
{%- endif %}
    path(settings.ADMIN_URL, admin.site.urls),
]
if settings.MEDIA_URL:  # development only: media on the local disk, served when DEBUG is on
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
handler500 = "stateless.errors.server_error"  # 503 when a backing service is down
