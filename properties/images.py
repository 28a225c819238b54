"""Listing photo validation and variant rendering with Pillow.

The pixel count is checked from the header before anything is decoded, and Pillow's
decompression-bomb warning is an error, so a small file that claims a huge image costs nothing.
"""

import io
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

# Format Pillow reports -> (content type, file extension)
ALLOWED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}

# name -> bounding box; variants keep the aspect ratio and are never enlarged.
VARIANT_SIZES = {
    "large": (1920, 1440),
    "medium": (800, 600),
    "thumbnail": (200, 150),
}
# Settings chosen for speed (see bench/photos.py): WebP method 0 takes ~60% of method 2's
# time on the large variant for ~12% more bytes (~30% more at the smaller sizes); JPEG is
# baseline with standard Huffman tables (optimize would save ~12% for +5 ms on the large
# variant, progressive ~13% for +17 ms).
VARIANT_FORMATS = {
    "jpeg": ("JPEG", {"quality": 82}),
    "webp": ("WEBP", {"quality": 80, "method": 0}),
}
# EXIF orientations that turn the picture on its side (width and height swap).
_SIDEWAYS_ORIENTATIONS = {5, 6, 7, 8}
# Smaller variants are box-reduced by a whole factor first, leaving at least 1.2× for the
# Lanczos filter (1920 → 960 → 800, 800 → 267 → 200): under half the cost, and no visible loss.
_REDUCING_GAP = 1.2
# Pillow's WebP encoder releases the GIL while it works; its JPEG encoder does not.
_GIL_FREE_ENCODERS = {"WEBP"}


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int

    @property
    def content_type(self):
        return ALLOWED_FORMATS[self.format][0]

    @property
    def extension(self):
        return ALLOWED_FORMATS[self.format][1]


def _open(data: bytes) -> Image.Image:
    """Open image bytes, with the decompression-bomb warning raised as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ValidationError(
                "The image is too large to process.", code="image_too_large"
            ) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ValidationError(
                "The file is not an image we can read.", code="image_unreadable"
            ) from exc


def _file_size(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def check_file_size(size: int) -> None:
    """Refuse a photo over the byte limit, before any of it is read."""
    max_bytes = settings.LISTING_PHOTO_MAX_BYTES
    if size > max_bytes:
        raise ValidationError(
            f"The file is {_file_size(size)}; photos may be at most {_file_size(max_bytes)}.",
            code="file_too_large",
        )


def inspect_image(data: bytes) -> ImageInfo:
    """Check that ``data`` is a whole JPEG, PNG or WebP within our size limits.

    Raises ``ValidationError`` with a message a person can act on.
    """
    check_file_size(len(data))
    if not data:
        raise ValidationError("The file is empty.", code="empty")
    image = _open(data)
    if image.format not in ALLOWED_FORMATS:
        raise ValidationError(
            f"{image.format or 'This'} files are not accepted; upload a JPEG, PNG or WebP photo.",
            code="image_type",
        )
    width, height = image.size
    max_pixels = settings.LISTING_PHOTO_MAX_PIXELS
    if width * height > max_pixels:
        raise ValidationError(
            f"The image is {width}×{height} pixels; photos may have at most "
            f"{max_pixels / 1_000_000:g} megapixels.",
            code="image_too_large",
        )
    # Catch truncated or corrupt data without paying for a full decode in the request:
    # JPEG decodes at 1/8 scale, PNG checks its chunk checksums, WebP decodes.
    try:
        if image.format == "PNG":
            image.verify()
        else:
            image.draft("RGB", (width // 8 or 1, height // 8 or 1))
            image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            "The image data is damaged or incomplete.", code="image_corrupt"
        ) from exc
    return ImageInfo(format=image.format, width=width, height=height)


def image_extension(header: bytes) -> str:
    """The file extension of an accepted image format, read from the file's first bytes."""
    try:
        fmt = Image.open(io.BytesIO(header)).format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        fmt = None
    if fmt not in ALLOWED_FORMATS:
        raise ValidationError("The file is not a JPEG, PNG or WebP image.", code="image_type")
    return ALLOWED_FORMATS[fmt][1]


def validate_uploaded_image(value):
    """Model field validator: a newly uploaded file must pass :func:`inspect_image`.

    Use it with a ``FileField`` rather than an ``ImageField``, whose form field decodes the
    whole image before any of our limits apply. Stored files are not read again.
    """
    if getattr(value, "_committed", True):
        return
    value.seek(0)
    data = value.read()
    value.seek(0)
    inspect_image(data)


def fit_size(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The size of an image of ``size`` shrunk to fit inside ``box``, keeping the aspect ratio.

    Never larger than ``size``: small photos are not enlarged.
    """
    width, height = size
    scale = min(box[0] / width, box[1] / height, 1)
    if scale == 1:
        return size
    return (max(round(width * scale), 1), max(round(height * scale), 1))


def render_variants(data: bytes) -> dict[str, dict[str, bytes]]:
    """Encode every variant size in every variant format: ``{size: {format: bytes}}``.

    The photo is decoded once, no bigger than the largest variant needs, and each smaller
    variant is made from the one before it. A helper thread shares the work: Pillow's
    resampling and its WebP encoder release the GIL.
    """
    image = _open(data)
    # Sizes from the whole photo the right way up, each variant fitted from the one before.
    sideways = image.getexif().get(ExifTags.Base.Orientation, 1) in _SIDEWAYS_ORIENTATIONS
    size = image.size[::-1] if sideways else image.size
    targets = []
    for name, box in sorted(VARIANT_SIZES.items(), key=lambda item: -item[1][0]):
        size = fit_size(size, box)
        targets.append((name, size))
    (largest_name, largest), *smaller = targets
    # JPEG only (a no-op for other formats): libjpeg decodes at the smallest of 1/2, 1/4 or
    # 1/8 scale that still covers the largest variant, skipping most of the decoding work.
    image.draft("RGB", largest[::-1] if sideways else largest)
    ImageOps.exif_transpose(image, in_place=True)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    # The same saving for other formats: a box reduction by the whole factor.
    factor = min(image.width // largest[0], image.height // largest[1])
    if factor >= 2:
        image = image.reduce(factor)

    with ThreadPoolExecutor(max_workers=1) as helper:
        # Less than 2× is left to shrink: bicubic is nearly as sharp as Lanczos there, and cheaper.
        large = _shrink(image, largest, Image.Resampling.BICUBIC, helper=helper)
        # Encoding the largest variant is the longest step: the helper takes the encoders
        # that release the GIL while this thread makes and encodes the smaller variants
        # (only reading ``large``), then the rest of the largest.
        offloaded = {
            fmt_name: helper.submit(_encode, large, fmt, options)
            for fmt_name, (fmt, options) in VARIANT_FORMATS.items()
            if fmt in _GIL_FREE_ENCODERS
        }
        rendered = {}
        current = large
        for name, size in smaller:
            current = _shrink(current, size, Image.Resampling.LANCZOS)
            rendered[name] = {
                fmt_name: _encode(current, fmt, options)
                for fmt_name, (fmt, options) in VARIANT_FORMATS.items()
            }
        # Image.save() keeps per-call state on the image object: a save that may overlap
        # with the helper's works on a copy.
        large_copy = large.copy()
        rendered[largest_name] = {
            fmt_name: offloaded[fmt_name].result()
            if fmt_name in offloaded
            else _encode(large_copy, fmt, options)
            for fmt_name, (fmt, options) in VARIANT_FORMATS.items()
        }
    return {name: rendered[name] for name, _size in targets}


def _shrink(image, size, resample, helper=None):
    """``image`` scaled down to ``size`` (the same image when it already is that size).

    With a ``helper`` thread, the helper makes the top half while this thread makes the
    bottom half. The filter reads source rows across the cut (``box`` only says which rows
    to make), so the halves join without a seam.
    """
    if image.size == size:
        return image
    if helper is None or size[1] < 2:
        return image.resize(size, resample, reducing_gap=_REDUCING_GAP)
    width, height = image.size
    cut = size[1] // 2
    top = helper.submit(
        image.resize, (size[0], cut), resample, (0, 0, width, height * cut / size[1])
    )
    bottom = image.resize(
        (size[0], size[1] - cut), resample, (0, height * cut / size[1], width, height)
    )
    result = Image.new(image.mode, size, None)
    result.paste(top.result(), (0, 0))
    result.paste(bottom, (0, cut))
    return result


def _encode(image: Image.Image, fmt: str, options: dict) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()
