"""Every file that configures a deployed process agrees with the settings: it gives each variable that
production requires, and names no variable that the settings do not read."""

import re

import yaml
from django.conf import settings

from stateless.environment import REQUIRED
from tests.harness.processes import PROJECT_DIR

KUBERNETES = PROJECT_DIR / "deploy" / "kubernetes"
ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def required():
    return {name for name, var in settings.VARIABLES.items() if var.production == REQUIRED}


def known():
    return set(settings.VARIABLES)


def env_example():
    """The names .env.example sets, and those it shows commented out with their default."""
    given: set[str] = set()
    shown: set[str] = set()
    for comment, name in ASSIGNMENT.findall((PROJECT_DIR / ".env.example").read_text()):
        (shown if comment else given).add(name)
    return given, shown


def kubernetes(kind):
    manifests = [yaml.safe_load(path.read_text()) for path in sorted(KUBERNETES.glob("*.yaml"))]
    return [manifest for manifest in manifests if manifest.get("kind") == kind]


def test_the_settings_require_something_in_production():
    assert required(), "no variable is required in production: the checks below would prove nothing"


def test_env_example_sets_every_required_variable_and_shows_every_other():
    given, shown = env_example()
    assert required() - given == set(), "required in production but not set in .env.example"
    assert given & shown == set(), "both set and commented out in .env.example"
    assert known() - given - shown == set(), "read by the settings but missing from .env.example"
    assert (given | shown) - known() == set(), "in .env.example but not read by the settings"


def test_compose_gives_release_and_web_the_same_complete_environment():
    services = yaml.safe_load((PROJECT_DIR / "compose.yaml").read_text())["services"]
    release, web = services["release"]["environment"], services["web"]["environment"]
    assert isinstance(web, dict), "write compose environments as mappings"
    assert release == web, "the release process must migrate the database the web process uses"
    assert required() - set(web) == set(), "required in production but not given by compose.yaml"
    assert set(web) - known() == set(), "in compose.yaml but not read by the settings"


def test_compose_trusts_the_origin_browsers_reach_its_balancer_at():
    """The processes see HTTPS (nginx says so) on a Host without the published port, so a form posted
    from http://127.0.0.1:8080 is refused by Django's CSRF check unless that origin is trusted."""
    services = yaml.safe_load((PROJECT_DIR / "compose.yaml").read_text())["services"]
    published = [port.rsplit(":", 2) for port in services["balancer"]["ports"]]
    trusted = services["web"]["environment"]["DJANGO_CSRF_TRUSTED_ORIGINS"].split(",")
    hosts = services["web"]["environment"]["DJANGO_ALLOWED_HOSTS"].split(",")
    for address, port, _ in published:
        for host in {address, *hosts}:
            assert f"http://{host}:{port}" in trusted, f"a browser at http://{host}:{port} cannot log in"


def test_kubernetes_gives_every_workload_the_config_map_and_the_secret():
    (config_map,) = kubernetes("ConfigMap")
    (secret,) = kubernetes("Secret")
    config, secrets = set(config_map["data"]), set(secret["stringData"])
    assert required() - config - secrets == set(), "required in production but in neither ConfigMap nor Secret"
    assert (config | secrets) - known() == set(), "in the ConfigMap or Secret but not read by the settings"
    assert config & secrets == set(), "given twice: the Secret would silently win"
    assert {name for name in config if "SECRET" in name} == set(), "a secret in the ConfigMap"
    sources = [
        {"configMapRef": {"name": config_map["metadata"]["name"]}},
        {"secretRef": {"name": secret["metadata"]["name"]}},
    ]
    pods = [workload["spec"]["template"]["spec"] for workload in kubernetes("Deployment") + kubernetes("Job")]
    pods += [cron["spec"]["jobTemplate"]["spec"]["template"]["spec"] for cron in kubernetes("CronJob")]
    assert len(pods) == {{ 2 + (1 if cookiecutter.worker == "celery" else 0) + (1 if cookiecutter.session_store == "redis+db" else 0) }}
    for pod in pods:
        for container in pod["containers"]:
            assert container["envFrom"] == sources, container["name"]
            assert {variable["name"] for variable in container.get("env", [])} - known() == set()
{%- if cookiecutter.worker == "celery" %}


def test_the_worker_runs_the_procfiles_command_and_may_finish_its_longest_task_when_stopped():
    procfile = dict(line.split(": ", 1) for line in (PROJECT_DIR / "Procfile").read_text().splitlines())
    compose = yaml.safe_load((PROJECT_DIR / "compose.yaml").read_text())["services"]["worker"]
    (deployment,) = [
        workload for workload in kubernetes("Deployment") if workload["metadata"]["name"].endswith("-worker")
    ]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert " ".join(compose["command"]) == " ".join(container["command"]) == procfile["worker"]
    time_limit = settings.VARIABLES["CELERY_TASK_TIME_LIMIT"].production
    assert int(compose["stop_grace_period"].removesuffix("s")) > time_limit
    assert pod["terminationGracePeriodSeconds"] > time_limit
    assert compose["deploy"]["replicas"] >= 2 and deployment["spec"]["replicas"] >= 2
    (budget,) = [
        budget for budget in kubernetes("PodDisruptionBudget") if budget["metadata"]["name"].endswith("-worker")
    ]
    assert budget["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
{%- endif %}
{%- if cookiecutter.session_store == "redis+db" %}


def test_expired_sessions_are_cleared_by_a_cron_job_that_never_overlaps():
    (cron,) = kubernetes("CronJob")
    (container,) = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "manage.py", "clearsessions"]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
{%- endif %}
