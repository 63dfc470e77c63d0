"""The clip edge: whatever a user sends as a clip is described here, or refused with a ClipError.

`probe` opens the bytes with PyAV (FFmpeg's demuxers and decoders), reads the headers, demuxes
the packets without decoding them (cheap: no pixels) and decodes only the first frame. What it
refuses, and why:

- a header that claims more than `max_seconds` is refused before a packet is read, and so is a
  stream whose packets run past it (a header may lie the other way too);
- frames over `max_pixels` (default 4096 × 2160, DCI 4K: every phone's 4K, either way up) are
  refused from the header, before a frame is decoded, so an 8000 × 8000 GIF never allocates;
- a container FFmpeg cannot open, a truncated file and a clip without a decodable frame are
  `broken`; a codec FFmpeg has no decoder for is `unsupported`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.stream import Disposition
from av.video.stream import VideoStream

from model.limits import MIN_SIDE, InputError

ClipSource = bytes | str | Path

MAX_PIXELS = 4096 * 2160  # DCI 4K, 8.8 MP per frame
MAX_SOURCE_FPS = 240  # more frames per second than this is not a clip a person recorded
DEFAULT_MAX_SECONDS = 15.0
# A clip may run this much past max_seconds: containers round durations, and a clip cut at
# exactly 15 s often ends a frame or an audio packet later.
SLACK_SECONDS = 0.1
UNSUPPORTED = "the video's codec is one FFmpeg cannot decode"


class ClipError(InputError):
    """A clip the service cannot use; `code` says why, the message says it in one sentence.

    Codes: ``too_long`` (more than max_seconds, by its header or its packets), ``no_video`` (no
    video stream: audio only, or a cover picture), ``broken`` (not a container FFmpeg can open,
    truncated, or no frame that decodes), ``unsupported`` (a codec FFmpeg cannot decode),
    ``too_large`` (more pixels per frame than allowed), ``too_small`` (a side under 16 pixels).
    """


@dataclass(frozen=True)
class ClipInfo:
    """What `probe` found: sizes as displayed (rotation and pixel aspect applied)."""

    duration: float  # seconds of video, first frame's start to last frame's end
    frames: int  # video packets demuxed: one per frame for every codec seen so far
    fps: float  # average frame rate, frames / duration
    width: int  # displayed width, after rotation and the sample aspect ratio
    height: int
    rotation: int  # degrees counter-clockwise to turn decoded frames for display: 0/90/180/270
    video_codec: str
    has_audio: bool
    audio_codec: str | None
    audio_duration: float  # seconds of the first audio stream (0 without one)
    rate: Fraction  # the frame rate as a fraction (30000/1001, 25, …), for the encoder


def read_clip(source: ClipSource) -> bytes:
    """The bytes of a clip given as bytes or a path (a missing file is `broken`)."""
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise ClipError("broken", f"cannot read {source}: {exc.strerror or exc}") from exc


def open_clip(data: bytes) -> InputContainer:
    """An FFmpeg input container over the bytes; anything it cannot open is `broken`."""
    try:
        return av.open(io.BytesIO(data), mode="r")
    except av.FFmpegError as exc:
        raise ClipError("broken", "the file is not a video FFmpeg can open") from exc


def video_stream(container: InputContainer) -> VideoStream:
    """The first video stream that is not a cover picture, or `no_video`/`unsupported`.

    A still picture (FFmpeg's image demuxers: `png_pipe`, `jpeg_pipe`, `image2`, …) opens as a
    one-frame video; it is `no_video` here, as it is a photo's job, not a clip's."""
    name = container.format.name
    if name == "image2" or name.endswith("_pipe"):
        raise ClipError("no_video", "the file is a still picture, not a clip")
    streams = [s for s in container.streams.video if not s.disposition & Disposition.attached_pic]
    if not streams:
        found = "only sound" if container.streams.audio else "no video stream"
        raise ClipError("no_video", f"the file has {found}, no video")
    stream = streams[0]
    if stream.codec_context is None:  # FFmpeg knows no decoder for its codec tag
        raise ClipError("unsupported", UNSUPPORTED)
    return stream


def probe(
    source: ClipSource,
    *,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    max_pixels: int = MAX_PIXELS,
) -> ClipInfo:
    """Describe a clip without decoding more than its first frame, or raise ClipError."""
    data = read_clip(source)
    with open_clip(data) as container:  # PyAV's streams must not outlive their container
        stream = video_stream(container)
        _check_header(container, stream, max_seconds, max_pixels)
        scan = _scan_packets(container, stream, max_seconds)
        rotation = _first_frame_rotation(data)
        width, height = _display_size(stream, rotation)
        duration = scan.end - scan.start
        if duration <= 0:  # one packet without a duration (a still picture): one interval
            duration = 1 / _nominal_rate(stream)
        audio = container.streams.audio[0] if container.streams.audio else None
        return ClipInfo(
            duration=float(duration),
            frames=scan.frames,
            fps=scan.frames / float(duration),
            width=width,
            height=height,
            rotation=rotation,
            video_codec=stream.codec_context.name,
            has_audio=audio is not None,
            audio_codec=_codec_name(audio),
            audio_duration=float(scan.audio_end - scan.audio_start) if audio else 0.0,
            rate=_rate(stream, scan.frames, duration),
        )


def _check_header(
    container: InputContainer, stream: VideoStream, max_seconds: float, max_pixels: int
) -> None:
    claimed = [container.duration / av.time_base] if container.duration else []
    if stream.duration and stream.time_base:
        claimed.append(float(stream.duration * stream.time_base))
    if claimed and max(claimed) > max_seconds + SLACK_SECONDS:
        raise ClipError(
            "too_long", f"the clip lasts {_seconds(max(claimed))}; at most {max_seconds:g} s"
        )
    width, height = stream.codec_context.width, stream.codec_context.height
    if width * height > max_pixels:
        raise ClipError(
            "too_large",
            f"the frames are {width}×{height} = {width * height / 1e6:.1f} megapixels; "
            f"at most {max_pixels / 1e6:.1f} are accepted",
        )
    if 0 < min(width, height) < MIN_SIDE:
        raise ClipError(
            "too_small", f"the frames are {width}×{height}; each side needs {MIN_SIDE} pixels"
        )


@dataclass
class _Scan:
    frames: int = 0
    start: Fraction = Fraction(0)
    end: Fraction = Fraction(0)
    audio_start: Fraction = Fraction(0)
    audio_end: Fraction = Fraction(0)


def _scan_packets(container: InputContainer, stream: VideoStream, max_seconds: float) -> _Scan:
    """Demux the video and first audio packets (no decoding) for the true extent of each."""
    audio = container.streams.audio[0] if container.streams.audio else None
    limit = max_seconds + SLACK_SECONDS
    max_frames = int(limit * MAX_SOURCE_FPS)
    frame_time = 1 / _nominal_rate(stream)
    scan = _Scan()
    video_seen = audio_seen = False
    try:
        for packet in container.demux(*(s for s in (stream, audio) if s is not None)):
            if not packet.size:
                continue  # a flush packet
            stamp = packet.pts if packet.pts is not None else packet.dts
            tb = packet.time_base or Fraction(0)
            length = (packet.duration or 0) * tb
            if stamp is None or not tb:  # a raw stream: each packet starts where the last ended
                start = scan.end if packet.stream.index == stream.index else scan.audio_end
            else:
                start = stamp * tb
            if packet.stream.index == stream.index:
                end = start + (length or frame_time)
                scan.start = min(scan.start, start) if video_seen else start
                scan.end = max(scan.end, end) if video_seen else end
                video_seen = True
                scan.frames += 1
                if scan.end - scan.start > limit or scan.frames > max_frames:
                    raise ClipError(
                        "too_long", f"the clip runs past {max_seconds:g} s, the most accepted"
                    )
            else:
                scan.audio_start = min(scan.audio_start, start) if audio_seen else start
                scan.audio_end = max(scan.audio_end, start + length)
                audio_seen = True
    except av.FFmpegError:
        pass  # a damaged tail: the packets before it stand, and decoding tells the rest
    if scan.frames == 0:
        raise ClipError("broken", "the clip holds no video frames")
    return scan


def _first_frame_rotation(data: bytes) -> int:
    """Decode up to the first frame; its display matrix says how to turn it for display."""
    with open_clip(data) as container:
        stream = video_stream(container)
        try:
            for frame in container.decode(stream):
                return round(frame.rotation / 90) % 4 * 90
        except av.error.DecoderNotFoundError as exc:
            raise ClipError("unsupported", UNSUPPORTED) from exc
        except av.FFmpegError as exc:
            raise ClipError("broken", "the video is damaged and cannot be decoded") from exc
    raise ClipError("broken", "not one frame of the video can be decoded")


def _display_size(stream: VideoStream, rotation: int) -> tuple[int, int]:
    width, height = stream.codec_context.width, stream.codec_context.height
    sar = stream.sample_aspect_ratio
    if sar and sar > 0 and sar != 1:  # anamorphic: pixels are shown wider or narrower
        width = max(1, round(width * sar))
    return (height, width) if rotation in (90, 270) else (width, height)


def _nominal_rate(stream: VideoStream) -> Fraction:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and 0 < rate <= MAX_SOURCE_FPS:
            return Fraction(rate)
    return Fraction(25)  # FFmpeg's own default frame rate


def _rate(stream: VideoStream, frames: int, duration: Fraction) -> Fraction:
    """The header's rate where it agrees with the packets (within 1 %), else theirs."""
    measured = Fraction(frames) / duration
    nominal = _nominal_rate(stream)
    if abs(nominal - measured) <= measured / 100:
        return nominal
    return measured.limit_denominator(1001)


def _codec_name(stream: AudioStream | None) -> str | None:
    """The audio codec's name; None without sound, or where FFmpeg has no decoder for it."""
    if stream is None or stream.codec_context is None:
        return None
    return stream.codec_context.name


def _seconds(value: float) -> str:
    if value >= 3600:
        return f"{value / 3600:.1f} hours"
    return f"{value / 60:.1f} minutes" if value >= 120 else f"{value:.1f} s"
