"""Looking at rendered materials as a person would: PDF pages as pictures, their text, and
the colours in them."""

import io
import subprocess

from PIL import Image
from pypdf import PdfReader


def pdf_page_image(content, tmp_path, *, resolution=40):
    """The first page of a PDF as an RGB image (poppler's pdftoppm)."""
    pdf = tmp_path / "material.pdf"
    pdf.write_bytes(content)
    for old in tmp_path.glob("page*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(resolution), "-f", "1", "-l", "1", pdf, tmp_path / "page"],
        check=True,
    )
    return Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")


def pdf_text(content):
    """Every page's text, as pypdf extracts it, with runs of spaces made one."""
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return " ".join(text.split())


def share_not_white(image):
    """The share of pixels that are not (near) white."""
    grey = image.convert("L")
    histogram = grey.histogram()
    return sum(histogram[:235]) / (grey.width * grey.height)


def has_colour(image, rgb, *, tolerance=12, box=None, minimum=50):
    """Whether at least ``minimum`` pixels (in ``box``) are within ``tolerance`` of ``rgb``."""
    region = image.crop(box) if box else image
    region = region.convert("RGB")
    count = 0
    for colour_count, colour in region.getcolors(maxcolors=region.width * region.height):
        if all(abs(a - b) <= tolerance for a, b in zip(colour, rgb, strict=True)):
            count += colour_count
    return count >= minimum


def hex_rgb(value):
    return tuple(int(value[i : i + 2], 16) for i in (1, 3, 5))
