"""deploy/: compose file, Kubernetes manifests and Dockerfiles, checked by parsing them (no engine runs here)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from api.settings import Settings
from civic.rasa_rest import READY_PATH

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yml"

# the variables bot/endpoints.shared.yml substitutes (${...}): SQL tracker store, Redis lock store, actions
ENDPOINTS_SHARED_VARS = {
    "TRACKER_DB_HOST",
    "TRACKER_DB_PORT",
    "TRACKER_DB_NAME",
    "TRACKER_DB_USER",
    "TRACKER_DB_PASSWORD",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_PASSWORD",
    "REDIS_LOCK_DB",
    "ACTION_ENDPOINT_URL",
}
# read by Rasa itself, not through the endpoints file
RASA_OWN_VARS = {"TICKET_LOCK_LIFETIME": "rasa.core.lock_store: how long a crashed replica's lock holds a conversation"}
# gateway variables that are not Settings fields, each with the program that reads it
GATEWAY_NOT_SETTINGS = {"FORWARDED_ALLOW_IPS": "uvicorn --proxy-headers"}
# gateway variables whose Settings field another worker is adding; empty once they have landed
GATEWAY_PENDING_FIELDS: dict[str, str] = {}
# must reach the gateway only through secretKeyRef (k8s) or an env file (compose)
GATEWAY_SECRETS = {
    "SECRET_KEY",
    "INTERNAL_TOKEN",
    "DATABASE_URL",
    "REDIS_URL",
    "CASE_WEBHOOK_SECRET",
    "WECHAT_TOKEN",
    "WECHAT_APP_SECRET",
    "WECHAT_ENCODING_AES_KEY",
    "MINIPROGRAM_TOKEN",
    "MINIPROGRAM_APP_SECRET",
    "MINIPROGRAM_ENCODING_AES_KEY",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_SECRET_TOKEN",
}
SECRETISH = re.compile(r"SECRET|TOKEN|PASSWORD|AES_KEY|API_KEYS|DATABASE_URL|REDIS_URL")
ENV_READ = re.compile(r"""os\.(?:environ\.get|getenv|environ\[)\(?\s*["']([A-Z0-9_]+)["']""")

Doc = dict[str, Any]


def k8s_docs() -> list[Doc]:
    docs: list[Doc] = []
    for path in sorted(K8S.rglob("*.y*ml")):
        docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return docs


def compose() -> Doc:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def one(kind: str, name: str) -> Doc:
    found = [d for d in k8s_docs() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def container(name: str) -> Doc:
    (c,) = one("Deployment", name)["spec"]["template"]["spec"]["containers"]
    return c


def config_map_keys(c: Doc) -> set[str]:
    keys: set[str] = set()
    for ref in c.get("envFrom", []):
        assert "configMapRef" in ref, "envFrom only from ConfigMaps: a whole Secret would hide which keys are used"
        keys |= set(one("ConfigMap", ref["configMapRef"]["name"])["data"])
    return keys


def container_env(c: Doc) -> set[str]:
    return {e["name"] for e in c.get("env", [])} | config_map_keys(c)


def env_file_keys(path: Path) -> dict[str, str]:
    """KEY=value lines of an env file (its committed .example), comments skipped."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def compose_env(service: str) -> set[str]:
    svc = compose()["services"][service]
    names = set(svc.get("environment", {}))
    for f in svc.get("env_file", []):
        names |= set(env_file_keys(DEPLOY / (f + ".example")))
    return names


def settings_env() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def actions_env() -> set[str]:
    """Every variable bot/actions reads, found in its source at test time."""
    names: set[str] = set()
    for path in (ROOT / "bot" / "actions").rglob("*.py"):
        names |= set(ENV_READ.findall(path.read_text(encoding="utf-8")))
    return names


def dockerfile_cmd(name: str) -> list[str]:
    cmd = [line for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines() if line.startswith("CMD ")]
    assert len(cmd) == 1, f"{name}: one exec-form CMD"
    parsed = json.loads(cmd[0].removeprefix("CMD "))
    assert isinstance(parsed, list)
    return parsed


def dockerfile_exposes(name: str) -> set[int]:
    lines = (DEPLOY / name).read_text(encoding="utf-8").splitlines()
    return {int(p) for line in lines if line.startswith("EXPOSE ") for p in line.split()[1:]}


def port_of(cmd: list[str]) -> int:
    for flag in ("--port", "-p"):
        if flag in cmd:
            return int(cmd[cmd.index(flag) + 1])
    raise AssertionError(f"no port in {cmd}")


def probe_path(c: Doc, probe: str) -> str:
    path = c[probe]["httpGet"]["path"]
    assert isinstance(path, str)
    return path


def walk(node: Any) -> Iterator[Doc]:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def test_every_yaml_under_deploy_parses() -> None:
    paths = sorted(DEPLOY.rglob("*.y*ml"))
    assert COMPOSE in paths and len(paths) >= 5
    for path in paths:
        list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    kinds = {(d["kind"], d["metadata"]["name"]) for d in k8s_docs() if d["kind"] != "Kustomization"}
    for name in ("gateway", "rasa", "actions"):
        assert ("Deployment", name) in kinds and ("Service", name) in kinds
    assert ("HorizontalPodAutoscaler", "gateway") in kinds
    assert not any(d.get("metadata", {}).get("namespace") for d in k8s_docs()), "manifests name no namespace"


def test_kustomization_lists_every_manifest() -> None:
    (kust,) = [d for d in k8s_docs() if d["kind"] == "Kustomization"]
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kust["resources"]) == files


def test_probes() -> None:
    gw = container("gateway")
    assert probe_path(gw, "readinessProbe") == "/readyz"
    assert probe_path(gw, "livenessProbe") == "/healthz"
    start = gw["startupProbe"]
    assert start["periodSeconds"] * start["failureThreshold"] >= 60, "the model takes ~20 s to load; be generous"
    rasa = container("rasa")
    # ready only with a model loaded (bot/addons/rest.py); alive while the server answers at all
    assert probe_path(rasa, "readinessProbe") == READY_PATH and probe_path(rasa, "livenessProbe") == "/"
    start = rasa["startupProbe"]
    assert probe_path(rasa, "startupProbe") == READY_PATH
    assert start["periodSeconds"] * start["failureThreshold"] >= 240, "Rasa loads its model for 1-2 minutes"
    actions = container("actions")
    assert probe_path(actions, "readinessProbe") == "/health" and probe_path(actions, "livenessProbe") == "/health"


def test_services_select_a_deployment_and_hit_its_ports() -> None:
    deployments = [d for d in k8s_docs() if d["kind"] == "Deployment"]
    for svc in (d for d in k8s_docs() if d["kind"] == "Service"):
        selector = svc["spec"]["selector"]
        matched = [d for d in deployments if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()]
        assert len(matched) == 1, f"Service {svc['metadata']['name']} selects {len(matched)} Deployments"
        dep = matched[0]
        assert dep["spec"]["selector"]["matchLabels"].items() <= dep["spec"]["template"]["metadata"]["labels"].items()
        ports = [p for c in dep["spec"]["template"]["spec"]["containers"] for p in c["ports"]]
        for sp in svc["spec"]["ports"]:
            target = sp.get("targetPort", sp["port"])
            ok = any(p["containerPort"] == target or p.get("name") == target for p in ports)
            assert ok, f"Service {svc['metadata']['name']} targetPort {target} is no containerPort of {ports}"


def test_probes_use_declared_ports() -> None:
    for name in ("gateway", "rasa", "actions"):
        c = container(name)
        declared = {p["containerPort"] for p in c["ports"]} | {p.get("name") for p in c["ports"]}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if probe in c:
                assert c[probe]["httpGet"]["port"] in declared, f"{name} {probe}"


def test_network_policies_select_real_pods() -> None:
    labels = [d["spec"]["template"]["metadata"]["labels"] for d in k8s_docs() if d["kind"] == "Deployment"]
    for pol in (d for d in k8s_docs() if d["kind"] == "NetworkPolicy"):
        selectors = [pol["spec"]["podSelector"]["matchLabels"]]
        selectors += [f["podSelector"]["matchLabels"] for rule in pol["spec"]["ingress"] for f in rule["from"]]
        for sel in selectors:
            assert any(sel.items() <= lab.items() for lab in labels), f"{pol['metadata']['name']}: {sel}"


def test_hpa_scales_the_gateway_on_cpu() -> None:
    hpa = one("HorizontalPodAutoscaler", "gateway")
    assert hpa["apiVersion"] == "autoscaling/v2"
    ref = hpa["spec"]["scaleTargetRef"]
    assert (ref["kind"], ref["name"]) == ("Deployment", "gateway")
    assert hpa["spec"]["minReplicas"] >= 2
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert "cpu" in container("gateway")["resources"]["requests"], "a CPU target needs a CPU request"


def test_gateway_env_vars_are_settings_fields() -> None:
    known = settings_env() | set(GATEWAY_NOT_SETTINGS) | set(GATEWAY_PENDING_FIELDS)
    for where, names in (("k8s", container_env(container("gateway"))), ("compose", compose_env("gateway"))):
        unknown = names - known
        assert not unknown, f"{where} gateway sets variables api.settings.Settings does not read: {sorted(unknown)}"
    assert "REDIS_URL" in settings_env() | set(GATEWAY_PENDING_FIELDS)
    assert "METRICS_TOKEN" in settings_env() | set(GATEWAY_PENDING_FIELDS)


def test_bot_env_vars_are_read_by_rasa_or_the_actions() -> None:
    known = ENDPOINTS_SHARED_VARS | actions_env()
    assert {"GATEWAY_URL", "INTERNAL_TOKEN"} <= actions_env()
    for name in ("rasa", "actions"):
        for where, names in (("k8s", container_env(container(name))), ("compose", compose_env(name))):
            unknown = names - known - (set(RASA_OWN_VARS) if name == "rasa" else set())
            assert not unknown, f"{where} {name} sets variables nothing reads: {sorted(unknown)}"
    # Rasa refuses to start when a ${VAR} in its endpoints file is unset
    assert container_env(container("rasa")) >= ENDPOINTS_SHARED_VARS
    assert compose_env("rasa") >= ENDPOINTS_SHARED_VARS


def test_rasa_uses_the_shared_endpoints_file() -> None:
    for cmd in (container("rasa")["command"], dockerfile_cmd("Dockerfile.rasa")):
        assert cmd[cmd.index("--endpoints") + 1] == "endpoints.shared.yml"
        assert "--enable-api" not in cmd
    shared = ROOT / "bot" / "endpoints.shared.yml"
    if not shared.is_file():
        pytest.skip("bot/endpoints.shared.yml is not written yet (another part of issue #9)")
    values = yaml.safe_load(shared.read_text(encoding="utf-8"))  # parsed, so comments do not count
    used = {v for node in walk(values) for x in node.values() for v in re.findall(r"\$\{([A-Z0-9_]+)\}", str(x))}
    assert used == ENDPOINTS_SHARED_VARS


def test_no_secret_value_inline() -> None:
    docs = k8s_docs()
    assert not [d for d in docs if d["kind"] == "Secret"], "Secrets are created out of band, never committed"
    for d in docs:
        if d["kind"] == "ConfigMap":
            assert not [k for k in d["data"] if SECRETISH.search(k)], d["metadata"]["name"]
        for node in walk(d):
            if "name" in node and ("value" in node or "valueFrom" in node) and SECRETISH.search(node["name"]):
                assert "value" not in node, f"{node['name']} has an inline value"
                assert "secretKeyRef" in node["valueFrom"], node["name"]
    gateway_refs = {e["name"] for e in container("gateway")["env"] if "secretKeyRef" in e.get("valueFrom", {})}
    assert gateway_refs >= GATEWAY_SECRETS
    for e in container("gateway")["env"]:  # the variable name and the Secret key are the same word
        assert e["valueFrom"]["secretKeyRef"] == {**e["valueFrom"]["secretKeyRef"], "key": e["name"]}
    for name, svc in compose()["services"].items():
        inline = [k for k in svc.get("environment", {}) if SECRETISH.search(k)]
        assert not inline, f"compose {name} sets secrets inline: {inline}"
    for example in DEPLOY.glob("env/*.example"):
        filled = [k for k, v in env_file_keys(example).items() if SECRETISH.search(k) and v]
        assert not filled, f"{example.name} carries secret values: {filled}"
    assert "env/*.env" in (DEPLOY / ".gitignore").read_text(encoding="utf-8")


def test_compose_services() -> None:
    services = compose()["services"]
    assert set(services) == {"gateway", "rasa", "actions", "postgres", "redis"}
    for infra in ("postgres", "redis"):
        assert services[infra]["profiles"] == ["local-infra"], "PostgreSQL and Redis are external by default"
    for name in ("gateway", "rasa", "actions"):
        assert "profiles" not in services[name]
        for f in services[name]["env_file"]:
            assert (DEPLOY / (f + ".example")).is_file(), f"{f} needs a committed .example"
    health = {name: " ".join(services[name]["healthcheck"]["test"]) for name in ("gateway", "rasa", "actions")}
    assert "/readyz" in health["gateway"]
    assert f"127.0.0.1:{port_of(dockerfile_cmd('Dockerfile.rasa'))}{READY_PATH}'" in health["rasa"]
    assert "/health'" in health["actions"]
    gateway = services["gateway"]
    assert "--proxy-headers" in gateway["command"]
    assert urlsplit(gateway["environment"]["RASA_URL"]).hostname == "rasa"
    assert urlsplit(services["actions"]["environment"]["GATEWAY_URL"]).hostname == "gateway"
    assert urlsplit(services["rasa"]["environment"]["ACTION_ENDPOINT_URL"]).hostname == "actions"


def test_internal_urls_point_at_services() -> None:
    services = {d["metadata"]["name"]: d for d in k8s_docs() if d["kind"] == "Service"}
    urls = [
        one("ConfigMap", "baihua-gateway")["data"]["RASA_URL"],
        one("ConfigMap", "baihua-actions")["data"]["GATEWAY_URL"],
        one("ConfigMap", "baihua-rasa")["data"]["ACTION_ENDPOINT_URL"],
    ]
    for url in urls:
        parts = urlsplit(url)
        assert parts.hostname in services, url
        assert parts.port in {p["port"] for p in services[parts.hostname]["spec"]["ports"]}, url
    compose_services = compose()["services"]
    for svc, var, target in (("gateway", "RASA_URL", "rasa"), ("actions", "GATEWAY_URL", "gateway")):
        port = urlsplit(compose_services[svc]["environment"][var]).port
        assert port == port_of(compose_services[target].get("command") or dockerfile_cmd("Dockerfile.rasa"))


def test_dockerfile_commands_match_the_manifests() -> None:
    gateway_cmd = dockerfile_cmd("Dockerfile.gateway")
    assert "--proxy-headers" in gateway_cmd
    assert container("gateway")["command"] == gateway_cmd == compose()["services"]["gateway"]["command"]
    assert container("rasa")["command"] == dockerfile_cmd("Dockerfile.rasa")
    assert container("actions")["command"] == compose()["services"]["actions"]["command"]
    ports = {
        "gateway": port_of(gateway_cmd),
        "rasa": port_of(dockerfile_cmd("Dockerfile.rasa")),
        "actions": port_of(container("actions")["command"]),
    }
    for name, port in ports.items():
        assert [p["containerPort"] for p in container(name)["ports"]] == [port], name
    assert compose()["services"]["gateway"]["ports"] == [f"{ports['gateway']}:{ports['gateway']}"]
    assert dockerfile_exposes("Dockerfile.gateway") == {ports["gateway"]}
    assert dockerfile_exposes("Dockerfile.rasa") == {ports["rasa"], ports["actions"]}


def test_dockerfiles_build_the_model_and_index_and_drop_root() -> None:
    gateway = (DEPLOY / "Dockerfile.gateway").read_text(encoding="utf-8")
    assert "python -m index model" in gateway and "python -m index build" in gateway
    rasa = (DEPLOY / "Dockerfile.rasa").read_text(encoding="utf-8")
    assert "COPY bot/models/baihua.tar.gz" in rasa, "the Rasa model is the CI artifact `make test` trained"
    for text in (gateway, rasa):
        users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
        assert users and not users[-1].startswith(("root", "0")), "the final stage runs as a non-root user"


def test_rasa_image_carries_the_model_files_the_e5_featurizer_reads() -> None:
    """The NLU pipeline's e5 featurizer (bot/addons/e5_featurizer.py) loads the search's converted model from
    /app/var/models: the image copies exactly the files it reads, and the build context lets them through."""
    rasa = (DEPLOY / "Dockerfile.rasa").read_text(encoding="utf-8").replace("\\\n", " ")
    copied = {
        word.removeprefix("var/models/multilingual-e5-small/")
        for line in rasa.splitlines()
        if line.startswith("COPY var/models/")
        for word in line.split()[1:-1]
    }
    needed = {"model.onnx", "tokenizer.json", "config.json", "sentence_bert_config.json", "1_Pooling/"}
    assert needed <= copied
    assert not any(name.endswith(".safetensors") for name in copied), "serving needs the ONNX graph only"
    allowed = (DEPLOY / "Dockerfile.rasa.dockerignore").read_text(encoding="utf-8").split()
    for name in copied:
        assert f"!var/models/multilingual-e5-small/{name}" in allowed, name
    featurizer = (ROOT / "bot" / "addons" / "e5_featurizer.py").read_text(encoding="utf-8")
    for name in ("model.onnx", "tokenizer.json", "1_Pooling", "config.json"):
        assert name in featurizer, f"the featurizer no longer reads {name}: update the image"
