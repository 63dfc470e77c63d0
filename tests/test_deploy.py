"""The deployment files, checked by parsing them: no Docker engine runs on the build machines.

What an operator relies on: the services and their order, persistence, health checks, the GPU
reservation, no Redis port on the host, every setting documented in .env.example.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import BotConfig
from worker import contract
from worker.config import WorkerConfig

REPO = Path(__file__).parents[1]


class ComposeLoader(yaml.SafeLoader):
    """YAML with Compose's `!reset` and `!override` tags."""


ComposeLoader.add_constructor("!reset", lambda loader, node: {"__reset__": True})
ComposeLoader.add_constructor(
    "!override",
    lambda loader, node: loader.construct_mapping(node),  # type: ignore[arg-type]
)


def load(name: str) -> dict[str, Any]:
    return yaml.load((REPO / name).read_text(), Loader=ComposeLoader)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load("docker-compose.yml")


def test_services_and_start_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"redis", "weights", "worker", "bot"}
    assert services["weights"]["command"][:4] == ["python", "-m", "model.weights", "fetch"]
    assert services["weights"]["restart"] == "no"
    worker, bot = services["worker"], services["bot"]
    assert worker["command"] == ["python", "-m", "worker"]
    assert bot["command"] == ["python", "-m", "bot"]
    assert worker["depends_on"]["weights"]["condition"] == "service_completed_successfully"
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    assert bot["depends_on"]["redis"]["condition"] == "service_healthy"
    # the same image for everything built from this repo, built once
    assert worker["image"] == bot["image"] == services["weights"]["image"]
    assert [name for name, service in services.items() if "build" in service] == ["weights"]


def volume_source(mount: str) -> str:
    """A mount's source with compose's ``${VAR:-default}`` taken at its default."""
    source = mount.split(":")[0] if not mount.startswith("${") else mount[: mount.index("}") + 1]
    match = re.fullmatch(r"\$\{\w+:-([^}]*)\}", source)
    return match.group(1) if match else source


def test_each_service_gets_only_the_settings_it_reads(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        assert "env_file" not in service, name  # a shared .env would hand everyone the token
    bot_reads = {name.upper() for name in BotConfig.model_fields}
    worker_reads = {name.upper() for name in WorkerConfig.model_fields}
    assert set(services["bot"]["environment"]) == bot_reads
    assert set(services["worker"]["environment"]) == worker_reads
    assert "environment" not in services["weights"]
    assert "BOT_TOKEN" not in services["worker"]["environment"]
    # the password on its own, so that any character works; never pasted into the URL
    for name in ("bot", "worker"):
        env = services[name]["environment"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["REDIS_PASSWORD"] == "${REDIS_PASSWORD:-}"


def test_the_compose_version_the_files_need_is_stated() -> None:
    readme = (REPO / "README.md").read_text()
    assert "Compose v2.24" in readme
    assert "v2.24" in (REPO / "docker-compose.yml").read_text()


def test_redis_persists_and_is_not_published(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    assert "--appendonly yes" in redis["command"]
    assert "ports" not in redis
    volume = redis["volumes"][0].split(":")
    assert volume[1] == "/data" and volume[0] in compose["volumes"]
    assert "ping" in " ".join(redis["healthcheck"]["test"])
    assert redis["restart"] == "unless-stopped"


def test_worker_reserves_a_gpu_outlives_a_job_and_reports_health(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    devices = worker["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert worker["restart"] == "unless-stopped"
    grace = re.fullmatch(r"(\d+)s", worker["stop_grace_period"])
    assert grace and int(grace.group(1)) > contract.JOB_TIMEOUT
    assert worker["healthcheck"]["test"] == ["CMD", "python", "-m", "worker", "health"]
    assert "ports" not in worker  # metrics stay on the compose network
    mount = worker["volumes"][0]
    target, mode = mount.rsplit(":", 2)[1:]
    assert volume_source(mount) in compose["volumes"] and mode == "ro"
    assert worker["environment"]["WEIGHTS_DIR"] == target
    fetch = compose["services"]["weights"]
    assert fetch["volumes"][0] == mount.removesuffix(":ro")
    assert fetch["command"][-3:-1] == ["--dir", target]


def test_compiled_kernels_outlive_a_worker_restart(compose: dict[str, Any]) -> None:
    # torch.compile and Triton write their caches where the image's environment says; that
    # place must be a named volume, writable by the image's user, or every restart recompiles.
    text = (REPO / "Dockerfile").read_text()
    cache_dirs = dict(re.findall(r"(TORCHINDUCTOR_CACHE_DIR|TRITON_CACHE_DIR)=(\S+)", text))
    assert set(cache_dirs) == {"TORCHINDUCTOR_CACHE_DIR", "TRITON_CACHE_DIR"}
    mounts = [v.split(":") for v in compose["services"]["worker"]["volumes"]]
    cache = next(m for m in mounts if m[0] == "compile-cache")
    assert cache[0] in compose["volumes"] and cache[2:] != ["ro"]
    assert all(d.startswith(cache[1] + "/") for d in cache_dirs.values())
    chown = next(ln for ln in text.splitlines() if "chown app:app" in ln)
    assert cache[1] in chown.split()


def test_bot_is_one_replica_with_presets_mounted_read_only(compose: dict[str, Any]) -> None:
    bot = compose["services"]["bot"]
    assert bot["deploy"]["replicas"] == 1
    assert bot["healthcheck"]["test"] == ["CMD", "python", "-m", "bot", "health"]
    source, target, mode = bot["volumes"][0].rsplit(":", 2)
    assert "styles" in source and mode == "ro"
    assert bot["environment"]["STYLES_DIR"] == target
    assert "ports" not in bot


def test_cpu_override_drops_the_gpu_reservation() -> None:
    override = load("docker-compose.cpu.yml")["services"]["worker"]
    assert override["deploy"] == {"__reset__": True}
    assert override["environment"]["DEVICE"] == "cpu"


def test_cpu_override_builds_the_one_image_without_cuda(compose: dict[str, Any]) -> None:
    override = load("docker-compose.cpu.yml")["services"]
    assert override["weights"]["build"]["args"] == {"TORCH": "cpu"}
    assert [name for name, service in override.items() if "build" in service] == ["weights"]
    for name in ("weights", "worker", "bot"):
        # its own tag, so a CPU build never passes for the CUDA image or the other way round
        assert override[name]["image"] == override["weights"]["image"], name
        assert override[name]["image"] != compose["services"][name]["image"], name


def dependency_layer(tmp_path: Path, torch: str, source: str = "") -> list[str]:
    """The pip commands the Dockerfile's dependency layer runs with TORCH=…: its RUN line run
    by bash, with pip and python replaced by stubs that record what they were asked."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    default = re.search(r"^ARG TORCH=(\w+)$", text, flags=re.M)
    assert default is not None and default.group(1) == "cuda"  # GPU hosts need no argument
    [layer] = [ln for ln in text.splitlines() if ln.startswith("RUN") and "pip install" in ln]
    stubs, log = tmp_path / "bin", tmp_path / "pip.log"
    stubs.mkdir(parents=True)
    (stubs / "pip").write_text(f'#!/bin/sh\necho "pip $*" >> {log}\n')
    (stubs / "python").write_text("#!/bin/sh\necho torch\n")
    for stub in stubs.iterdir():
        stub.chmod(0o755)
    command = layer.removeprefix("RUN ").replace("/tmp/", f"{tmp_path}/")
    env = {"PATH": f"{stubs}:/usr/bin:/bin", "TORCH": torch, "TORCH_SOURCE": source}
    subprocess.run(["bash", "-ec", command], env=env, check=True)
    return log.read_text().splitlines()


def test_cpu_image_takes_torch_from_the_cpu_index_and_no_cuda_wheel(tmp_path: Path) -> None:
    cpu = dependency_layer(tmp_path / "cpu", "cpu")
    cuda = dependency_layer(tmp_path / "cuda", "cuda")
    requirements = "pip install -r " + str(tmp_path) + "/{}/requirements.txt"
    index = "https://download.pytorch.org/whl/cpu"
    assert cpu == [
        f"pip install --index-url {index} torch torchvision",
        requirements.format("cpu"),
    ]
    assert cuda == [requirements.format("cuda")]  # PyPI's wheels, CUDA libraries included


def test_where_torch_comes_from_is_a_build_argument(tmp_path: Path) -> None:
    text = (REPO / "Dockerfile").read_text()
    assert re.search(r"^ARG TORCH_SOURCE=$", text, flags=re.M)
    mirror = "--index-url https://mirror.example/whl/cpu torch torchvision"
    for kind in ("cpu", "cuda"):
        pip = dependency_layer(tmp_path / kind, kind, mirror)
        assert pip == [
            f"pip install {mirror}",
            f"pip install -r {tmp_path}/{kind}/requirements.txt",
        ]


def test_env_example_documents_every_setting() -> None:
    text = (REPO / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.M))
    documented |= set(re.findall(r"\b([A-Z][A-Z0-9_]{3,})\b sets", text))
    settings = {name.upper() for name in BotConfig.model_fields}
    settings |= {name.upper() for name in WorkerConfig.model_fields}
    # the compose file fills these in itself from the services' layout
    settings -= {"REDIS_URL", "WEIGHTS_DIR", "STYLES_DIR", "METRICS_PORT"}
    assert settings - documented == set()
    assert re.search(r"^BOT_TOKEN=$", text, flags=re.M)  # the one thing an operator must set


def test_dockerfile_is_one_cached_non_root_image_without_weights() -> None:
    text = (REPO / "Dockerfile").read_text()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    base = next(ln for ln in lines if ln.startswith("FROM"))
    assert "cuda" not in base.lower() and "nvidia" not in base.lower()  # CUDA comes from wheels
    deps = next(i for i, ln in enumerate(lines) if "pip install" in ln)
    first_code = next(i for i, ln in enumerate(lines) if ln.startswith("COPY model"))
    assert lines.index("COPY pyproject.toml ./") < deps < first_code  # dependency layer first
    user = next(ln for ln in lines if ln.startswith("USER"))
    assert user.split()[1] not in ("root", "0")
    assert ".pth" not in text.replace("*.pth", "")  # weights are not baked in
    ignore = (REPO / ".dockerignore").read_text().split()
    assert ".venv" in ignore and "**/*.pth" in ignore and "**/*.part" in ignore  # weights/ too


def test_webhook_override_runs_replicas_behind_one_https_address(compose: dict[str, Any]) -> None:
    override = load("docker-compose.webhook.yml")["services"]
    bot = override["bot"]
    assert bot["deploy"]["replicas"] >= 2
    url = bot["environment"]["WEBHOOK_URL"]
    assert url.startswith("https://") and url.endswith("/telegram/webhook")
    port = bot["environment"]["WEBHOOK_PORT"]
    assert port in bot["expose"] and "ports" not in bot  # reached through the proxy only
    proxy = override["proxy"]
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    caddyfile = (REPO / "deploy" / "Caddyfile").read_text()
    assert "handle /telegram/webhook" in caddyfile and f"dynamic a bot {port}" in caddyfile
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]


def test_the_bot_finishes_its_updates_before_compose_kills_it(compose: dict[str, Any]) -> None:
    grace = compose["services"]["bot"]["stop_grace_period"]
    assert grace.endswith("s")
    assert BotConfig.model_fields["shutdown_grace"].default + 5 <= float(grace[:-1])


def test_ha_override_adds_a_replica_and_three_sentinels_the_services_follow(
    compose: dict[str, Any],
) -> None:
    override = load("docker-compose.ha.yml")["services"]
    sentinels = sorted(name for name in override if name.startswith("sentinel-"))
    assert len(sentinels) == 3
    for name in sentinels:
        script = override[name]["command"][-1]
        assert "sentinel monitor adain redis 6379 2" in script  # quorum: two of three
        assert "--sentinel" in script and override[name]["environment"]["SENTINEL_NAME"] == name
        assert f"{name}:/data" in override[name]["volumes"]  # what it learnt survives a restart
    replica = override["redis-replica"]["command"][-1]
    assert "replicaof redis 6379" in replica and "appendonly yes" in replica
    for server in ("redis", "redis-replica"):
        script = override[server]["command"][-1]
        assert "/data/redis.conf" in script  # the role a failover gave it survives a restart
        assert '--requirepass "$$REDIS_PASSWORD"' in script
    for service in ("bot", "worker"):
        env = override[service]["environment"]
        named = {item.split(":")[0] for item in env["REDIS_SENTINELS"].split(",")}
        assert named == set(sentinels) and env["REDIS_SENTINEL_MASTER"] == "adain"
        assert set(sentinels) <= set(override[service]["depends_on"])
        # the base file passes the variables on, and the services read them
        assert {"REDIS_SENTINELS", "REDIS_WAIT_REPLICAS"} <= set(
            compose["services"][service]["environment"]
        )
    assert "ports" not in override["redis-replica"]  # no Redis port on the host
