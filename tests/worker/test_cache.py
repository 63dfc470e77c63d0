"""Style statistics and content features are reused between jobs, and change nothing."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image
from redis import Redis

from model.stylizer import Stylizer
from tests.helpers import image_bytes, natural_image
from tests.worker.conftest import delivery_events
from worker import contract
from worker.cache import LruCache
from worker.cached_stylizer import CachedStylizer
from worker.contract import JobRequest, StyleRef
from worker.metrics import Metrics
from worker.rq_worker import StylizeWorker
from worker.runtime import Runtime

SIZE = 48


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_the_second_job_with_a_style_skips_its_encoder_pass_and_looks_the_same(
    redis: Redis,
    runtime: Runtime,
    stylizer: Stylizer,
    run_jobs: Callable[[Runtime], StylizeWorker],
) -> None:
    photos = [image_bytes(natural_image(64, 80, seed=s), "PNG") for s in (1, 2)]
    style = image_bytes(natural_image(72, 72, seed=3))
    for name, data in (("photo1", photos[0]), ("photo2", photos[1]), ("style", style)):
        redis.set(contract.image_key(name), data)
    q = contract.queue(redis)

    def enqueue(photo: str, **options: object) -> str:
        request = JobRequest(
            chat_id=1, content_key=contract.image_key(photo),
            styles=(StyleRef(contract.image_key("style")),), size=SIZE, style_size=SIZE,
            output_format="png", **options,  # type: ignore[arg-type]
        )  # fmt: skip
        return contract.enqueue(q, request).id

    first, second = enqueue("photo1"), enqueue("photo2")
    again_softer = enqueue("photo2", alpha=0.5)  # same photo and style: both reused
    run_jobs(runtime)

    hits = runtime.metrics.value
    assert hits("adain_cache_misses_total", cache="style") == 1
    assert hits("adain_cache_hits_total", cache="style") == 2
    assert hits("adain_cache_hits_total", cache="content") == 1
    results = {e.job: redis.get(e.result) for e in delivery_events(redis)}
    assert set(results) == {first, second, again_softer}
    uncached = {
        second: stylizer.stylize(photos[1], style, content_size=SIZE, style_size=SIZE),
        again_softer: stylizer.stylize(
            photos[1], style, alpha=0.5, content_size=SIZE, style_size=SIZE
        ),
    }
    for job_id, expected in uncached.items():
        np.testing.assert_array_equal(pixels(results[job_id]), np.asarray(expected))


def test_preserved_colors_are_cached_per_content_photo(
    redis: Redis,
    runtime: Runtime,
    stylizer: Stylizer,
    run_jobs: Callable[[Runtime], StylizeWorker],
) -> None:
    photos = [image_bytes(natural_image(64, 64, seed=s), "PNG") for s in (4, 5)]
    style = image_bytes(natural_image(64, 64, seed=6))
    q = contract.queue(redis)
    redis.set("style", style)
    ids = []
    for i, photo in enumerate(photos):
        redis.set(f"photo{i}", photo)
        request = JobRequest(
            chat_id=1, content_key=f"photo{i}", styles=(StyleRef("style"),), size=SIZE,
            style_size=SIZE, preserve_color=True, output_format="png",
        )  # fmt: skip
        ids.append(contract.enqueue(q, request).id)
    run_jobs(runtime)

    # the style is recoloured to each photo, so its statistics cannot be shared between them
    assert runtime.metrics.value("adain_cache_misses_total", cache="style") == 2
    results = {e.job: redis.get(e.result) for e in delivery_events(redis)}
    expected = stylizer.stylize(
        photos[1], style, preserve_color=True, content_size=SIZE, style_size=SIZE
    )
    np.testing.assert_array_equal(pixels(results[ids[1]]), np.asarray(expected))


def test_lru_cache_keeps_the_recently_used_within_its_bounds() -> None:
    cache: LruCache[bytes] = LruCache(max_items=3, max_bytes=10, cost=len)
    for key in "abc":
        cache.put(key, b"xx")
    assert cache.get("a") == b"xx"  # "a" is now the most recent
    cache.put("d", b"xx")  # one too many: the least recent ("b") goes
    assert [k for k in "abcd" if cache.get(k)] == ["a", "c", "d"]
    cache.put("e", b"x" * 8)  # 14 bytes > 10: the oldest go until it fits
    assert [k for k in "acde" if cache.get(k)] == ["d", "e"] and cache.nbytes == 10
    cache.put("huge", b"x" * 11)  # larger than the whole cache: not kept
    assert cache.get("huge") is None and cache.get("e") == b"x" * 8


def test_another_stroke_reuses_the_content_features_and_misses_the_style_stats(
    stylizer: Stylizer,
) -> None:
    metrics = Metrics()
    cached = CachedStylizer(stylizer, metrics)
    photo = image_bytes(natural_image(64, 80, seed=7), "PNG")
    style = image_bytes(natural_image(96, 96, seed=8))

    def run(stroke: float) -> Image.Image:
        return cached.stylize(
            photo, [(style, 1.0)], alpha=1.0, preserve_color=False, size=SIZE,
            style_size=SIZE, stroke=stroke,
        )  # fmt: skip

    first, larger, again = run(1.0), run(2.0), run(2.0)
    assert metrics.value("adain_cache_hits_total", cache="content") == 2
    assert metrics.value("adain_cache_misses_total", cache="content") == 1
    assert metrics.value("adain_cache_misses_total", cache="style") == 2  # one per stroke
    assert metrics.value("adain_cache_hits_total", cache="style") == 1
    expected = stylizer.stylize(photo, style, content_size=SIZE, style_size=SIZE, stroke=2.0)
    np.testing.assert_array_equal(np.asarray(larger), np.asarray(expected))
    np.testing.assert_array_equal(np.asarray(again), np.asarray(expected))
    assert not np.array_equal(np.asarray(first), np.asarray(larger))
