"""Listing photo validation and variant rendering with Pillow.

The pixel count is checked from the header before anything is decoded, and Pillow's
decompression-bomb warning is an error, so a small file that claims a huge image costs nothing.
"""

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

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
VARIANT_FORMATS = {
    "jpeg": ("JPEG", {"quality": 82}),
    "webp": ("WEBP", {"quality": 80, "method": 2}),
}


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


def render_variants(data: bytes) -> dict[str, dict[str, bytes]]:
    """Encode every variant size in every variant format: ``{size: {format: bytes}}``."""
    image = _open(data)
    largest = max(VARIANT_SIZES.values())
    # JPEG's DCT scaling decodes straight to the smallest scale that still covers the box.
    image.draft("RGB", largest)
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    rendered = {}
    current = image
    for name, box in sorted(VARIANT_SIZES.items(), key=lambda item: -item[1][0]):
        current = _fit(current, box)
        rendered[name] = {}
        for fmt_name, (fmt, options) in VARIANT_FORMATS.items():
            buffer = io.BytesIO()
            current.save(buffer, fmt, **options)
            rendered[name][fmt_name] = buffer.getvalue()
    return rendered


def _fit(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    """Shrink to fit inside ``box``, keeping the aspect ratio; never enlarge."""
    width, height = image.size
    scale = min(box[0] / width, box[1] / height, 1)
    if scale == 1:
        return image
    size = (max(round(width * scale), 1), max(round(height * scale), 1))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
