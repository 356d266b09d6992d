"""The deployment files of every variant: the validators accept them, and the properties a scaled
deployment relies on hold (each property check is shown to catch a deliberate breakage).

No container engine or cluster is needed: hadolint, check-jsonschema (the compose specification and
GitHub's workflow schema), kubernetes-validate, pre-commit and pre-commit-hooks all run offline.
"""

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from tests.conftest import bake, run

KUBERNETES_VERSION = "1.34"  # the version the manifests are validated against; the generated README says so
MANIFESTS = [
    "deployment.yaml",
    "service.yaml",
    "hpa.yaml",
    "pdb.yaml",
    "migrate-job.yaml",
    "configmap.yaml",
    "secret.example.yaml",
]
OPTIONAL_MANIFESTS = {  # manifests baked for an answer: (field, value) -> file names
    ("worker", "celery"): ["worker-deployment.yaml", "worker-pdb.yaml"],
    ("session_store", "redis+db"): ["clearsessions-cronjob.yaml"],
}
NOT_APPLIED = {"secret.example.yaml"}  # a template to fill in, never applied as it is
FILE_CHECKS = [  # pre-commit-hooks' console scripts, as .pre-commit-config.yaml runs them
    ("trailing-whitespace-fixer", "text"),
    ("end-of-file-fixer", "text"),
    ("check-yaml", "yaml"),
    ("check-toml", "toml"),
    ("check-added-large-files --enforce-all", "any"),
    ("check-merge-conflict --assume-in-merge", "text"),
]
DEPLOYMENT_FILES = ["Procfile", "Dockerfile", ".dockerignore", "compose.yaml", "deploy"]  # what the checks read
# Run by the project's own Python: the values its deployment files must agree with.
READ_CODE = """
import json, runpy, django
django.setup()
from stateless import health
gunicorn = runpy.run_path("gunicorn.conf.py")
print(json.dumps({
    "LIVENESS_PATH": health.LIVENESS_PATH,
    "READINESS_PATH": health.READINESS_PATH,
    "graceful_timeout": gunicorn["graceful_timeout"],
    "timeout": gunicorn["timeout"],
}))
"""


def break_file(path, change):
    """A deliberate breakage: YAML is loaded, changed by ``change(document)`` and dumped back; any other
    file is text, and ``change`` is (old, new), replaced once."""
    if path.suffix == ".yaml":
        document = yaml.safe_load(path.read_text())
        change(document)
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    else:
        old, new = change
        text = path.read_text()
        assert old in text, f"{old!r} not in {path.name}"
        path.write_text(text.replace(old, new, 1))


@pytest.fixture(scope="session")
def code(project):
    """The probe paths and gunicorn's graceful timeout, from the project's code run as an image build runs it."""
    env = {"PATH": os.environ["PATH"], "DJANGO_ENV": "build", "DJANGO_SETTINGS_MODULE": "config.settings"}
    return json.loads(run([".venv/bin/python", "-c", READ_CODE], project.path, env=env).stdout)


@pytest.fixture
def files(project, tmp_path):
    """A copy of the project's deployment files, to break."""
    for name in DEPLOYMENT_FILES:
        source = project.path / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    return tmp_path


# --- Reading the files ----------------------------------------------------------------------------


def procfile(root):
    processes = {}
    for line in (root / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        processes[name.strip()] = shlex.split(command)
    return processes


def kubernetes(root):
    documents = [yaml.safe_load((root / "deploy" / "kubernetes" / name).read_text()) for name in MANIFESTS]
    return {document["kind"]: document for document in documents}


def pod(manifest):
    """The pod template's spec of a Deployment or a Job."""
    return manifest["spec"]["template"]["spec"]


def container(manifest):
    (only,) = pod(manifest)["containers"]
    return only


def build_context(root, destination):
    """What ``COPY . .`` puts in the image: the project less what .dockerignore names."""
    patterns = [
        line.strip().rstrip("/")
        for line in (root / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    patterns += [pattern.removeprefix("**/") for pattern in patterns if pattern.startswith("**/")]

    def ignored(relative):
        prefixes = ["/".join(relative.parts[: end + 1]) for end in range(len(relative.parts))]
        return any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes for pattern in patterns)

    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not ignored(relative):
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination / relative)
    return destination


def build_stage_after_copy(root):
    """The RUN commands of the build stage that follow ``COPY . .``: what the image's /app goes through."""
    text = (root / "Dockerfile").read_text().replace("\\\n", " ")
    build = re.split(r"^FROM\s+", text, flags=re.MULTILINE)[1]
    return re.findall(r"^RUN\s+(.*)$", build.split("\nCOPY . .\n", 1)[1], re.MULTILINE)


def modules_without_bytecode(tree):
    return [
        str(module.relative_to(tree))
        for module in sorted(tree.rglob("*.py"))
        if not list(module.parent.glob(f"__pycache__/{module.stem}.*.pyc"))
    ]


def committed_files(root):
    """The files a first commit of the project would hold."""
    return [path for path in sorted(root.rglob("*")) if path.is_file() and ".git" not in path.relative_to(root).parts]


def is_text(path):
    try:
        path.read_text()
    except UnicodeDecodeError:
        return False
    return True


# --- Properties -----------------------------------------------------------------------------------


def dockerfile_problems(root, code):
    text = (root / "Dockerfile").read_text().replace("\\\n", " ")
    stages = re.split(r"^FROM\s+", text, flags=re.MULTILINE)[1:]
    if len(stages) < 2:
        return ["not a multi-stage build"]
    build, runtime = stages[0], stages[-1]
    problems = []
    if not re.search(r"^RUN .*manage\.py collectstatic", build, re.MULTILINE):
        problems.append("collectstatic does not run in the build stage")
    if re.search(r"gcc|g\+\+|clang|build-essential|apt-get|apk add", runtime):
        problems.append("the runtime stage installs packages or compilers")
    if "PYTHONDONTWRITEBYTECODE=1" not in runtime:
        problems.append("the runtime stage would write bytecode to a read-only filesystem")
    users = re.findall(r"^USER\s+(\S+)", runtime, re.MULTILINE)
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("the runtime stage runs as root")
    healthchecks = re.findall(r"^HEALTHCHECK\s.*$", runtime, re.MULTILINE)
    if len(healthchecks) != 1 or code["LIVENESS_PATH"] not in healthchecks[0]:
        problems.append(f"no HEALTHCHECK on {code['LIVENESS_PATH']}")
    for line in re.findall(r"^(?:ARG|ENV)\s.*$", text, re.MULTILINE):
        if re.search(r"SECRET|PASSWORD|TOKEN|ACCESS_KEY", line, re.IGNORECASE):
            problems.append(f"a secret in a build argument or the environment: {line}")
    ignored = (root / ".dockerignore").read_text().splitlines()
    if not {".env", ".venv/", ".git/", "staticfiles/"} <= set(ignored):
        problems.append(".dockerignore lets local secrets, the local venv or local builds into the image")
    commands = re.findall(r"^CMD\s+(.*)$", runtime, re.MULTILINE)
    if not commands or json.loads(commands[-1]) != procfile(root)["web"]:
        problems.append("the image does not start the Procfile's web process")
    return problems


def compose_problems(root, code):
    compose = yaml.safe_load((root / "compose.yaml").read_text())
    services = compose["services"]
    problems = []
    redis = " ".join(services["redis"]["command"])
    if "--appendonly yes" not in redis or "--maxmemory-policy noeviction" not in redis:
        problems.append("Redis keeps sessions without append-only persistence or with eviction")
    web = services["web"]
    if web.get("deploy", {}).get("replicas", 1) < 2:
        problems.append("fewer than two web replicas")
    if not web.get("read_only") or "/tmp" not in web.get("tmpfs", []):
        problems.append("web is not read-only with a tmpfs on /tmp")
    builders = [name for name, service in services.items() if "build" in service]
    if len(builders) != 1:
        problems.append(f"the image is built by {len(builders)} services, not one: {builders}")
    for name, service in services.items():
        runs_the_build = builders and name not in builders and service.get("image") == services[builders[0]]["image"]
        if runs_the_build and service.get("pull_policy") != "never":
            problems.append(f"{name} may pull the image that {builders[0]} builds from a registry")
    if services["release"]["command"] != procfile(root)["release"]:
        problems.append("the release service does not run the Procfile's release command")
    for name, service in services.items():
        if "build" not in service and not re.fullmatch(r"[\w./-]+:[\w.-]+", service["image"]):
            problems.append(f"{name}: image not pinned by tag")
        if service.get("image", "").endswith(":latest"):
            problems.append(f"{name}: image tagged latest")
        depends_on = service.get("depends_on", {})
        if isinstance(depends_on, list):  # the short form waits for nothing but the start
            depends_on = {needed: {} for needed in depends_on}
        for needed, condition in depends_on.items():
            condition = condition.get("condition")
            if condition == "service_healthy" and "healthcheck" not in services[needed]:
                problems.append(f"{name} waits for {needed} to be healthy, which has no healthcheck")
            elif condition not in ("service_healthy", "service_completed_successfully"):
                problems.append(f"{name} does not wait for {needed} to be healthy or done")
    if web.get("depends_on", {}).get("release", {}).get("condition") != "service_completed_successfully":
        problems.append("web does not wait for the release to finish")
    for name in ("postgres", "redis", "minio", "web", "balancer"):
        if "healthcheck" not in services[name]:
            problems.append(f"{name} has no healthcheck")
    balancer = services["balancer"]
    if balancer.get("depends_on", {}).get("web", {}).get("condition") != "service_healthy":
        problems.append("the balancer does not wait for healthy web replicas")
    mounted = [volume.split(":")[0] for volume in balancer["volumes"]]
    nginx = (root / mounted[0]).read_text()
    directives = re.sub(r"#.*", "", nginx)
    if re.search(r"\b(ip_hash|hash|sticky)\b", directives):
        problems.append("the balancer is sticky")
    if not re.search(r"server web:8000;", directives) or "proxy_pass http://web;" not in directives:
        problems.append("the balancer does not spread requests over the web service")
    return problems


def pod_problems(name, pod):
    problems = []
    security = pod.get("securityContext", {})
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for container in pod["containers"]:
        context = container.get("securityContext", {})
        if not (context.get("runAsNonRoot") or security.get("runAsNonRoot")):
            problems.append(f"{name}: runAsNonRoot is not set")
        if not context.get("readOnlyRootFilesystem"):
            problems.append(f"{name}: the root filesystem is writable")
        tmp = [mount["name"] for mount in container.get("volumeMounts", []) if mount["mountPath"] == "/tmp"]
        if not tmp or "emptyDir" not in volumes.get(tmp[0], {}):
            problems.append(f"{name}: /tmp is not an emptyDir")
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            if set(resources.get(kind, {})) != {"cpu", "memory"}:
                problems.append(f"{name}: resource {kind} must give cpu and memory")
    return problems


def matches(selector, labels):
    return all(labels.get(key) == value for key, value in selector.items())


def released_job_name(root, job, tag):
    """The migration Job's name once the release has set the image's tag to ``tag`` in
    kustomization.yaml: its replacements of the Job's name applied as kustomize applies them (a value
    split at a delimiter, one part taken or replaced), or None where kustomize would fail."""
    kustomization = yaml.safe_load((root / "deploy" / "kubernetes" / "kustomization.yaml").read_text())
    image, name = f"{container(job)['image'].rsplit(':', 1)[0]}:{tag}", job["metadata"]["name"]
    for replacement in kustomization.get("replacements", []):
        source, value = replacement["source"], image
        if source.get("kind") != "Job" or not source["fieldPath"].endswith(".image"):
            continue
        if options := source.get("options"):
            parts = value.split(options["delimiter"])
            if options["index"] >= len(parts):
                return None
            value = parts[options["index"]]
        for target in replacement["targets"]:
            if target["select"].get("kind") != "Job" or "metadata.name" not in target["fieldPaths"]:
                continue
            if options := target.get("options"):
                parts = name.split(options["delimiter"])
                if options["index"] >= len(parts):
                    return None
                parts[options["index"]] = value
                value = options["delimiter"].join(parts)
            name = value
    return name


def window(probe):
    """Seconds of failed answers before the probe gives up on a pod (Kubernetes' defaults: 10 s, 3)."""
    return probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3)


def kubernetes_problems(root, code):
    manifests = kubernetes(root)
    deployment, service, job = manifests["Deployment"], manifests["Service"], manifests["Job"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    job_labels = job["spec"]["template"]["metadata"]["labels"]
    web, release = container(deployment), container(job)
    processes = procfile(root)
    problems = pod_problems("Deployment", pod(deployment)) + pod_problems("Job", pod(job))
    if "replicas" in deployment["spec"]:
        problems.append("replicas set beside the HorizontalPodAutoscaler: every apply resets the scale")
    spread = pod(deployment).get("topologySpreadConstraints", [])
    if not any(
        constraint["topologyKey"] == "kubernetes.io/hostname"
        and constraint["maxSkew"] == 1
        and constraint["whenUnsatisfiable"] == "DoNotSchedule"
        and matches(constraint["labelSelector"]["matchLabels"], labels)
        for constraint in spread
    ):
        problems.append("the web pods are not spread across nodes")
    liveness, readiness = web.get("livenessProbe", {}), web.get("readinessProbe", {})
    if window(liveness) < 2 * code["timeout"]:
        problems.append(f"liveness restarts a pod whose workers are busy for gunicorn's timeout ({code['timeout']} s)")
    if window(readiness) >= window(liveness):
        problems.append(
            "the readinessProbe does not take a slow pod out of the Service before the livenessProbe restarts it"
        )
    if deployment["spec"].get("strategy", {}).get("type") != "RollingUpdate":
        problems.append("not a rolling update")
    if not matches(deployment["spec"]["selector"]["matchLabels"], labels):
        problems.append("the Deployment's selector does not select its pods")
    if web.get("command") != processes["web"]:
        problems.append("the Deployment does not run the Procfile's web process")
    ports = {port["name"]: port["containerPort"] for port in web["ports"]}
    expected = {"startupProbe": "LIVENESS_PATH", "livenessProbe": "LIVENESS_PATH", "readinessProbe": "READINESS_PATH"}
    for probe, path in expected.items():
        http = web.get(probe, {}).get("httpGet", {})
        if http.get("path") != code[path]:
            problems.append(f"{probe} does not ask {code[path]}")
        if http.get("port") not in (*ports, *ports.values()):
            problems.append(f"{probe} asks a port the container does not open")
    pause = web.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    if len(pause) != 2 or pause[0] != "sleep":
        problems.append("no preStop pause")
    elif pod(deployment).get("terminationGracePeriodSeconds", 30) <= int(pause[1]) + code["graceful_timeout"]:
        problems.append("the termination grace period ends before the preStop pause and gunicorn's graceful timeout")
    if service["spec"].get("sessionAffinity", "None") != "None":
        problems.append("the Service has session affinity")
    if not matches(service["spec"]["selector"], labels) or matches(service["spec"]["selector"], job_labels):
        problems.append("the Service does not select the web pods only")
    if service["spec"]["ports"][0]["targetPort"] not in (*ports, *ports.values()):
        problems.append("the Service sends to a port the container does not open")
    target = manifests["HorizontalPodAutoscaler"]["spec"]
    if target["scaleTargetRef"] != {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }:
        problems.append("the HorizontalPodAutoscaler does not scale the Deployment")
    if target.get("minReplicas", 1) < 2:
        problems.append("the HorizontalPodAutoscaler may scale below two replicas")
    budget = manifests["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]
    if not matches(budget, labels) or matches(budget, job_labels):
        problems.append("the PodDisruptionBudget does not select the web pods only")
    if release.get("command") != processes["release"]:
        problems.append("the Job does not run the Procfile's release command")
    if release["image"] != web["image"]:
        problems.append("the Job runs another image than the Deployment")
    tags = ("1.4.0", "1.4.1")
    names = [released_job_name(root, job, tag) for tag in tags]
    unreleased = job["metadata"]["name"].removesuffix(release["image"].rsplit(":", 1)[1])  # the name less its tag
    if names != [unreleased + tag for tag in tags] or unreleased == job["metadata"]["name"]:
        problems.append(f"the migration Job is not named after each release's image tag: {names}")
    return problems


# --- The validators accept every variant ----------------------------------------------------------


def test_hadolint_finds_nothing_in_the_dockerfile(project):
    result = run(["hadolint", "--no-color", "Dockerfile"], project.path)
    assert result.stdout == "", result.stdout


def test_the_compose_file_follows_the_compose_specification(project):
    run(["check-jsonschema", "--builtin-schema", "vendor.compose-spec", "compose.yaml"], project.path)


def test_the_ci_workflow_follows_githubs_workflow_schema(project):
    run(["check-jsonschema", "--builtin-schema", "vendor.github-workflows", ".github/workflows/ci.yml"], project.path)


def workflow_commands(project):
    """The shell commands of each job of the CI workflow, by job."""
    jobs = yaml.safe_load((project.path / ".github/workflows/ci.yml").read_text())["jobs"]
    return {name: "\n".join(step.get("run", "") for step in job["steps"]) for name, job in jobs.items()}


def test_ci_proves_on_its_runner_what_this_machine_cannot(project):
    commands = workflow_commands(project)
    # ubuntu-24.04 has PostgreSQL 16's binaries off PATH and no Redis; the fault tests start both.
    assert "apt-get install -y -qq redis-server" in commands["test"]
    assert "/usr/lib/postgresql/16/bin" in commands["test"]
    assert "make test" in commands["test"]
    assert "--read-only" in commands["image"] and "id -u" in commands["image"]
    assert "docker compose up --build --detach --wait" in commands["compose"]
    for job in ("image", "compose"):
        assert "python3 scripts/smoke.py http://" in commands[job], job
    assert "kubectl apply -k deploy/kubernetes" in commands["kind"]
    assert "kubectl wait --for=condition=complete job/" in commands["kind"]
    assert "kubectl rollout status deployment/" in commands["kind"]


def test_the_ci_workflows_shell_commands_pass_shellcheck(project, tmp_path):
    for job, commands in workflow_commands(project).items():
        script = tmp_path / f"{job}.sh"
        script.write_text(f"#!/bin/bash\nset -e\n{commands}\n")  # the shell of a step: bash -e
        run(["shellcheck", str(script)], tmp_path)


def test_dependabot_keeps_the_python_dependencies_the_actions_and_the_images_current(project):
    run(["check-jsonschema", "--builtin-schema", "vendor.dependabot", ".github/dependabot.yml"], project.path)
    config = yaml.safe_load((project.path / ".github/dependabot.yml").read_text())
    ecosystems = {update["package-ecosystem"] for update in config["updates"]}
    assert {"uv", "github-actions", "docker", "docker-compose"} <= ecosystems


def test_the_kubernetes_manifests_are_valid_for_the_stated_version(project):
    folder = project.path / "deploy" / "kubernetes"
    answered = [
        name
        for (field, value), names in OPTIONAL_MANIFESTS.items()
        for name in names
        if project.answers.get(field) == value
    ]
    manifests = [*MANIFESTS, *answered]
    assert sorted(path.name for path in folder.glob("*.yaml")) == sorted([*manifests, "kustomization.yaml"])
    command = ["kubernetes-validate", "--kubernetes-version", KUBERNETES_VERSION, "--strict", *manifests]
    result = run(command, folder)
    assert result.stdout.count("passed for resource") == len(manifests), result.stdout
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(set(manifests) - NOT_APPLIED)
    image = container(kubernetes(project.path)["Deployment"])["image"]
    assert [entry["name"] for entry in kustomization["images"]] == [image.split(":")[0]]
    assert f"Kubernetes {KUBERNETES_VERSION}" in (project.path / "README.md").read_text()


def test_pre_commit_accepts_its_config(project):
    run(["pre-commit", "validate-config", ".pre-commit-config.yaml"], project.path)


def test_a_fresh_bake_passes_its_own_pre_commit_hooks(project, tmp_path):
    fresh = bake(tmp_path, **project.answers)
    run(["git", "init", "-q", "."], fresh)  # as pre-commit needs; some checks ask git
    files = committed_files(fresh)
    kinds = {
        "any": [str(path) for path in files],
        "text": [str(path) for path in files if is_text(path)],
        "yaml": [str(path) for path in files if path.suffix in (".yaml", ".yml")],
        "toml": [str(path) for path in files if path.suffix == ".toml"],
    }
    assert len(kinds["yaml"]) >= 10 and kinds["toml"]
    for script, kind in FILE_CHECKS:
        run([*script.split(), *kinds[kind]], fresh)
    ruff = str(project.path / ".venv" / "bin" / "ruff")
    run([ruff, "check", "."], fresh)
    run([ruff, "format", "--check", "."], fresh)


def test_pre_commit_runs_the_ruff_that_make_lint_installs(project):
    config = yaml.safe_load((project.path / ".pre-commit-config.yaml").read_text())
    (ruff,) = [repo for repo in config["repos"] if repo["repo"].endswith("/ruff-pre-commit")]
    assert {hook["id"] for hook in ruff["hooks"]} == {"ruff-check", "ruff-format"}
    dev = tomllib.loads((project.path / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    (installed,) = [Requirement(line) for line in dev if Requirement(line).name == "ruff"]
    assert Version(ruff["rev"].removeprefix("v")) in installed.specifier, (ruff["rev"], str(installed))


# --- The properties hold, and each check can fail -------------------------------------------------


def test_the_image_is_built_without_secrets_and_runs_unprivileged(project, code):
    assert dockerfile_problems(project.path, code) == []


def test_the_image_has_the_bytecode_of_every_module(project, tmp_path):
    """The build stage's steps replayed on the build context, the project's Python standing in for the
    image's: with a read-only root and PYTHONDONTWRITEBYTECODE, a module without its .pyc would be
    compiled again by every process at every start."""
    tree = build_context(project.path, tmp_path / "app")
    commands = build_stage_after_copy(project.path)
    assert any("collectstatic" in command for command in commands), commands
    env = {"PATH": f"{project.path / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}  # as the build stage's
    for command in commands:
        subprocess.run(command, shell=True, cwd=tree, env=env, check=True, capture_output=True)
    modules = list(tree.rglob("*.py"))
    assert len(modules) >= 10 and (tree / "config" / "settings.py") in modules
    assert modules_without_bytecode(tree) == []


def test_compose_runs_replicas_behind_a_balancer_without_stickiness(project, code):
    assert compose_problems(project.path, code) == []


def test_kubernetes_runs_replicas_that_drain_before_they_stop(project, code):
    assert kubernetes_problems(project.path, code) == []


DOCKERFILE, COMPOSE, NGINX = "Dockerfile", "compose.yaml", "deploy/compose/nginx.conf"
DEPLOYMENT, SERVICE = "deploy/kubernetes/deployment.yaml", "deploy/kubernetes/service.yaml"
HPA, PDB, JOB = "deploy/kubernetes/hpa.yaml", "deploy/kubernetes/pdb.yaml", "deploy/kubernetes/migrate-job.yaml"
KUSTOMIZATION = "deploy/kubernetes/kustomization.yaml"
WEB = "app.kubernetes.io/component"  # the label that tells web pods from the release Job's
BREAKAGES = {  # name: (file, change: (old, new) of a text file or a function of a YAML document, expected problem)
    "root user": (DOCKERFILE, ("USER 10001:10001", "USER root"), "runs as root"),
    "secret build argument": (DOCKERFILE, ("WORKDIR /app\n", "ARG DJANGO_SECRET_KEY\nWORKDIR /app\n"), "a secret"),
    "compiler at runtime": (DOCKERFILE, ("RUN groupadd", "RUN apt-get install -y gcc && groupadd"), "compilers"),
    "healthcheck elsewhere": (DOCKERFILE, ("/healthz", "/"), "HEALTHCHECK"),
    "local .env in the image": (".dockerignore", (".env\n", ""), ".dockerignore"),
    "no build-time static files": (DOCKERFILE, ("RUN python manage.py collectstatic", "RUN true"), "collectstatic"),
    "evicting Redis": (
        COMPOSE,
        lambda compose: compose["services"]["redis"].update(
            command=["redis-server", "--appendonly", "yes", "--maxmemory-policy", "allkeys-lru"]
        ),
        "eviction",
    ),
    "one web replica": (
        COMPOSE,
        lambda compose: compose["services"]["web"]["deploy"].update(replicas=1),
        "fewer than two",
    ),
    "web before release": (
        COMPOSE,
        lambda compose: compose["services"]["web"]["depends_on"]["release"].update(condition="service_started"),
        "release",
    ),
    "two builds of one image": (COMPOSE, lambda compose: compose["services"]["web"].update(build="."), "built by 2"),
    "pulled local image": (
        COMPOSE,
        lambda compose: compose["services"]["web"].update(pull_policy="missing"),
        "may pull",
    ),
    "writable web": (COMPOSE, lambda compose: compose["services"]["web"].update(read_only=False), "read-only"),
    "latest image": (COMPOSE, lambda compose: compose["services"]["redis"].update(image="redis:latest"), "latest"),
    "sticky balancer": (NGINX, ("    keepalive 16;", "    ip_hash;\n    keepalive 16;"), "sticky"),
    "replicas beside the autoscaler": (
        DEPLOYMENT,
        lambda deployment: deployment["spec"].update(replicas=2),
        "HorizontalPodAutoscaler",
    ),
    "no spread": (DEPLOYMENT, lambda deployment: pod(deployment).pop("topologySpreadConstraints"), "spread"),
    "impatient liveness": (
        DEPLOYMENT,
        lambda deployment: container(deployment)["livenessProbe"].update(timeoutSeconds=2, failureThreshold=3),
        "busy",
    ),
    "recreate": (DEPLOYMENT, lambda deployment: deployment["spec"].update(strategy={"type": "Recreate"}), "rolling"),
    "no readiness probe": (
        DEPLOYMENT,
        lambda deployment: container(deployment).pop("readinessProbe"),
        "readinessProbe",
    ),
    "readiness on liveness": (
        DEPLOYMENT,
        lambda deployment: container(deployment).update(readinessProbe=container(deployment)["livenessProbe"]),
        "readinessProbe",
    ),
    "probe on a missing port": (
        DEPLOYMENT,
        lambda deployment: container(deployment)["livenessProbe"]["httpGet"].update(port=8080),
        "port",
    ),
    "short grace period": (
        DEPLOYMENT,
        lambda deployment: pod(deployment).update(terminationGracePeriodSeconds=30),
        "grace",
    ),
    "root allowed": (
        DEPLOYMENT,
        lambda deployment: pod(deployment)["securityContext"].update(runAsNonRoot=False),
        "runAsNonRoot",
    ),
    "writable root": (
        DEPLOYMENT,
        lambda deployment: container(deployment)["securityContext"].update(readOnlyRootFilesystem=False),
        "writable",
    ),
    "no limits": (DEPLOYMENT, lambda deployment: container(deployment)["resources"]["limits"].pop("cpu"), "limits"),
    "sticky service": (SERVICE, lambda service: service["spec"].update(sessionAffinity="ClientIP"), "affinity"),
    "service on every pod": (SERVICE, lambda service: service["spec"]["selector"].pop(WEB), "web pods"),
    "autoscaler on nothing": (HPA, lambda hpa: hpa["spec"]["scaleTargetRef"].update(kind="StatefulSet"), "scale"),
    "budget on nothing": (PDB, lambda pdb: pdb["spec"]["selector"]["matchLabels"].pop(WEB), "Budget"),
    "job that does not migrate": (JOB, lambda job: container(job)["command"].append("--plan"), "release command"),
    "one job name for every release": (
        KUSTOMIZATION,
        lambda kustomization: kustomization.pop("replacements"),
        "named after",
    ),
    "job name without the tag's place": (
        JOB,
        lambda job: job["metadata"].update(name=job["metadata"]["name"].split("-migrate-")[0] + "-migrate"),
        "named after",
    ),
}
CHECKS = {
    DOCKERFILE: dockerfile_problems,
    ".dockerignore": dockerfile_problems,
    COMPOSE: compose_problems,
    NGINX: compose_problems,
}


@pytest.mark.parametrize(("path", "change", "expected"), BREAKAGES.values(), ids=BREAKAGES)
def test_each_property_check_catches_a_breakage(files, code, path, change, expected):
    break_file(files / path, change)
    problems = CHECKS.get(path, kubernetes_problems)(files, code)
    assert problems and all(expected in problem for problem in problems), problems
