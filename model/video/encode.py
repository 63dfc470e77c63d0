"""Writing stylized frames as an H.264 MP4 that Telegram plays, within a byte budget.

Three kinds, as the Bot API sends them: `animation` (sendAnimation: no sound), `video`
(sendVideo: the original sound) and `video_note` (sendVideoNote: a square of at most 640
pixels, with its sound). The video is H.264 (libx264, in PyAV's wheels), yuv420p, BT.709 and
tagged so, at the output frame rate, with the index at the front (`+faststart`) so that a
player can start before the whole file has arrived.

The budget (default 50 MB, the Bot API's upload limit) is kept by x264's rate control: quality
mode (CRF 20, what a person would call "good") under a VBV cap of `maxrate` with a one-second
buffer, so the video's bits can never exceed maxrate × (duration + 1 s). The cap is the budget
spread over the duration, less the sound and the container, and at most `MAX_BITS_PER_PIXEL`
per pixel per frame: more only makes the file larger, not better.

Sound: AAC is copied packet by packet (no re-encoding, no loss); any other codec FFmpeg can
decode is transcoded to AAC (128 kb/s). Either way the sound keeps its own length and its
offset from the video.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.audio.stream import AudioStream
from av.container import InputContainer, OutputContainer
from av.packet import Packet
from PIL import Image

from model.video.probe import ClipError, open_clip, video_stream

MAX_BYTES = 50 * 1000 * 1000  # the Bot API's limit on a file a bot uploads
VIDEO_NOTE_SIDE = 640  # the largest video note Telegram takes
CRF = 20
PRESET = "medium"
# A quality cap: 2.2 Mb/s for 640×360 at 24 fps, 20 Mb/s at 1080p (15 s of it: 37 MB).
MAX_BITS_PER_PIXEL = 0.4
MIN_BITRATE = 10_000  # a floor for absurd budgets; 50 MB over 15 s allows 25 Mb/s
AUDIO_BITRATE = 128_000
REMUX_AUDIO = frozenset({"aac"})
CONTAINER_BYTES = 16 * 1024  # the MP4 index and headers: a few KB for 15 s with sound
# BT.709, limited range: AVCOL_SPC/PRI/TRC_BT709 and AVCOL_RANGE_MPEG
BT709, LIMITED_RANGE = 1, 1


@dataclass(frozen=True)
class EncodedClip:
    data: bytes
    width: int
    height: int
    duration: float  # seconds of video: frames / fps
    frames: int
    has_audio: bool


def video_bitrate(
    duration: float,
    width: int,
    height: int,
    fps: float,
    *,
    max_bytes: int = MAX_BYTES,
    audio_bits: int = 0,
) -> int:
    """The VBV cap in bits per second: what the budget allows over the duration (and the
    buffer's second), at most MAX_BITS_PER_PIXEL per pixel per frame."""
    budget = max_bytes * 8 - audio_bits - CONTAINER_BYTES * 8
    allowed = budget / (max(duration, 0.04) + 1.0)
    quality = MAX_BITS_PER_PIXEL * width * height * fps
    return int(max(MIN_BITRATE, min(allowed, quality)))


def encode_clip(
    frames: Iterable[Image.Image],
    *,
    width: int,
    height: int,
    rate: Fraction,
    duration: float,
    audio_from: bytes | None = None,
    max_bytes: int = MAX_BYTES,
) -> EncodedClip:
    """Encode RGB frames of `width` × `height` at `rate` frames per second as an MP4, with
    the first audio stream of the clip `audio_from` when given. `duration` (the planned one)
    sizes the bit rate; the frames that come set the length."""
    if width % 2 or height % 2:
        raise ValueError(f"H.264 in yuv420p needs even sides, got {width}×{height}")
    audio_bits = _audio_bits(audio_from, duration) if audio_from is not None else 0
    bitrate = video_bitrate(
        duration, width, height, float(rate), max_bytes=max_bytes, audio_bits=audio_bits
    )
    # +faststart moves the index to the front by re-reading the file: FFmpeg needs a path
    with tempfile.TemporaryDirectory(prefix="clip-") as folder:
        path = Path(folder) / "out.mp4"
        options = {"movflags": "+faststart"}
        with av.open(str(path), mode="w", format="mp4", container_options=options) as out:
            video = _video_stream(out, width, height, rate, bitrate)  # stream 0: video first
            with _AudioCopy.open(audio_from, out) as sound:
                count = 0
                for img in frames:
                    if img.size != (width, height):
                        raise ValueError(f"frame {count} is {img.size}, not {(width, height)}")
                    frame = av.VideoFrame.from_ndarray(np.asarray(img.convert("RGB")), "rgb24")
                    frame = frame.reformat(format="yuv420p", dst_colorspace="ITU709")
                    frame.pts = count
                    out.mux(video.encode(frame))
                    count += 1
                    if sound is not None:
                        sound.write_until(count / rate)
                if count == 0:
                    raise ValueError("no frames to encode")
                out.mux(video.encode())
                if sound is not None:
                    sound.finish()
        data = path.read_bytes()
    return EncodedClip(data, width, height, float(count / rate), count, sound is not None)


def _video_stream(
    out: OutputContainer, width: int, height: int, rate: Fraction, bitrate: int
) -> av.video.stream.VideoStream:
    stream = out.add_stream("libx264", rate=rate)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.time_base = 1 / rate
    ctx = stream.codec_context
    ctx.colorspace = ctx.color_primaries = ctx.color_trc = BT709
    ctx.color_range = LIMITED_RANGE
    stream.options = {
        "crf": str(CRF),
        "preset": PRESET,
        "maxrate": str(bitrate),
        "bufsize": str(bitrate),  # one second of the cap
    }
    return stream


def _first_audio(source: InputContainer) -> AudioStream | None:
    """The first audio stream; `unsupported` where FFmpeg has no decoder for it."""
    if not source.streams.audio:
        return None
    audio = source.streams.audio[0]
    if audio.codec_context is None:
        raise ClipError("unsupported", "the sound's codec is one FFmpeg cannot decode")
    return audio


def _audio_bits(data: bytes, duration: float) -> int:
    """The sound's share of the budget: its packets' bytes when copied, else AAC's rate."""
    with open_clip(data) as source:
        audio = _first_audio(source)
        if audio is None:
            return 0
        if audio.codec_context.name not in REMUX_AUDIO:
            return int(AUDIO_BITRATE * 1.1 * (duration + 1.0))
        return 8 * sum(packet.size for packet in source.demux(audio))


class _AudioCopy:
    """The source's sound into the output, copied (AAC) or transcoded to AAC, interleaved
    with the video as it is written and shifted by the source video's start time."""

    @staticmethod
    @contextmanager
    def open(data: bytes | None, out: OutputContainer) -> Iterator[_AudioCopy | None]:
        """The sound of the clip `data` (None without one) added to `out`, its source open
        while the output is written."""
        if data is None:
            yield None
            return
        with open_clip(data) as source:
            audio = _first_audio(source)
            yield None if audio is None else _AudioCopy(source, audio, out)

    def __init__(self, source: InputContainer, audio: AudioStream, out: OutputContainer) -> None:
        self.audio = audio
        video = video_stream(source)
        start = video.start_time * video.time_base if video.start_time and video.time_base else 0
        self.offset = Fraction(start)
        self.copy = audio.codec_context.name in REMUX_AUDIO
        if self.copy:
            self.stream: AudioStream = out.add_stream_from_template(audio)
        else:
            rate = audio.codec_context.sample_rate or 48000
            self.stream = out.add_stream("aac", rate=rate)
            self.stream.layout = "mono" if audio.codec_context.channels == 1 else "stereo"
            self.stream.bit_rate = AUDIO_BITRATE
        self.out = out
        self.packets = self._packets(source)
        self.pending: Packet | None = None
        self.done = False

    def _packets(self, source: InputContainer) -> Iterator[Packet]:
        """Output-ready packets, in order, each with its time base and shifted time."""
        try:
            for packet in source.demux(self.audio):
                if self.copy:
                    if packet.size and packet.pts is not None and packet.time_base:
                        shift = round(self.offset / packet.time_base)
                        packet.pts -= shift
                        if packet.dts is not None:
                            packet.dts -= shift
                        packet.stream = self.stream
                        yield packet
                    continue
                for frame in packet.decode():
                    if frame.pts is not None and frame.time_base:
                        frame.pts -= round(self.offset / frame.time_base)
                    yield from self.stream.encode(frame)
        except av.FFmpegError:
            pass  # a damaged tail of the sound: what came before it stands
        if not self.copy:
            yield from self.stream.encode(None)

    def write_until(self, time: Fraction) -> None:
        """Mux the sound up to `time` seconds, so the file interleaves sound and video."""
        while not self.done:
            if self.pending is None:
                self.pending = next(self.packets, None)
                if self.pending is None:
                    self.done = True
                    return
            packet = self.pending
            if packet.pts is not None and packet.time_base:
                if packet.pts * packet.time_base > time:
                    return
            self.out.mux(packet)
            self.pending = None

    def finish(self) -> None:
        self.write_until(Fraction(10**9))
