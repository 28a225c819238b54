"""The demo MLS's listing photos: a simple drawn house, the same every time for a key and number."""

import io
from random import Random

from PIL import Image, ImageDraw

from agents.demo import DOORS, LAWNS, ROOFS, SIDINGS, SKIES, TRIMS

PHOTO_SIZE = (1024, 768)
JPEG_QUALITY = 80


def _shade(color, factor):
    return tuple(max(0, min(255, int(channel * factor))) for channel in color)


def photo_jpeg(listing_key, number):
    """The JPEG bytes of photo ``number`` of a listing.

    The house's colours and shape come from the listing key, so every photo of a listing shows
    the same house; the sky, the framing and the garden change with the number.
    """
    house = Random(f"{listing_key}:house")
    scene = Random(f"{listing_key}:{number}")
    siding, roof, trim, door = (house.choice(palette) for palette in (SIDINGS, ROOFS, TRIMS, DOORS))
    gable, garage, chimney = house.random() < 0.65, house.random() < 0.5, house.random() < 0.5
    width, height = PHOTO_SIZE

    horizon = scene.randint(int(height * 0.5), int(height * 0.6))
    sky_top, sky_bottom = scene.choice(SKIES)
    lawn = scene.choice(LAWNS)
    image = Image.new("RGB", PHOTO_SIZE, lawn)
    draw = ImageDraw.Draw(image)
    bands = 24
    for band in range(bands):
        mix = band / (bands - 1)
        color = tuple(int(a + (b - a) * mix) for a, b in zip(sky_top, sky_bottom, strict=True))
        top = horizon * band // bands
        draw.rectangle((0, top, width, horizon * (band + 1) // bands), fill=color)
    for _ in range(scene.randint(1, 3)):
        cloud_x, cloud_y = scene.randint(0, width), scene.randint(30, horizon // 2)
        for puff in range(4):
            dx, radius = puff * 30 - 45, scene.randint(22, 36)
            draw.ellipse(
                (
                    cloud_x + dx - radius,
                    cloud_y - radius // 1.4,
                    cloud_x + dx + radius,
                    cloud_y + radius // 1.4,
                ),
                fill=(248, 248, 250),
            )
    treeline = [(0, horizon)]
    treeline += [(x, horizon - scene.randint(16, 56)) for x in range(0, width + 48, 48)]
    treeline.append((width, horizon))
    draw.polygon(treeline, fill=_shade(lawn, 0.55))
    for stripe, top in enumerate(range(horizon, height, 40)):
        draw.rectangle((0, top, width, top + 40), fill=_shade(lawn, 1.06 if stripe % 2 else 0.97))

    # The house, framed a little differently in each photo.
    house_width = int(width * house.uniform(0.36, 0.46) * scene.uniform(0.9, 1.1))
    house_height = int(height * house.uniform(0.2, 0.26))
    left = scene.randint(int(width * 0.12), width - house_width - int(width * 0.22))
    base = horizon + scene.randint(50, 90)
    top, right = base - house_height, left + house_width
    roof_height = int(house_height * house.uniform(0.55, 0.85))
    if chimney:
        chimney_x = left + int(house_width * 0.7)
        draw.rectangle((chimney_x, top - roof_height, chimney_x + 28, top), fill=(150, 70, 56))
    overhang = 20
    if gable:
        outline = [(left - overhang, top), ((left + right) // 2, top - roof_height)]
    else:
        outline = [
            (left - overhang, top),
            (left + house_width // 4, top - roof_height),
            (right - house_width // 4, top - roof_height),
        ]
    draw.polygon([*outline, (right + overhang, top)], fill=roof)
    draw.rectangle((left, top, right, base), fill=siding)
    for y in range(top + 14, base, 14):
        draw.line((left, y, right, y), fill=_shade(siding, 0.9), width=2)
    if garage:
        garage_right = right + int(house_width * 0.4)
        garage_top = base - int(house_height * 0.7)
        draw.rectangle((right, garage_top - 30, garage_right + 10, garage_top), fill=roof)
        draw.rectangle((right, garage_top, garage_right, base), fill=siding)
        draw.rectangle(
            (right + 20, garage_top + 28, garage_right - 20, base),
            fill=trim,
            outline=_shade(trim, 0.7),
            width=3,
        )
    door_width, door_height = 52, int(house_height * 0.42)
    door_left = (left + right) // 2 - door_width // 2
    draw.rectangle((door_left - 6, base - door_height - 6, door_left + door_width + 6, base), trim)
    draw.rectangle((door_left, base - door_height, door_left + door_width, base), fill=door)
    draw.polygon(
        [
            (door_left, base),
            (door_left + door_width, base),
            (door_left + 120, height),
            (door_left - 70, height),
        ],
        fill=(196, 186, 170),
    )
    glass = (170, 200, 225)
    columns = max(3, house_width // 130)
    window_width, window_height = 46, int(house_height * 0.28)
    for column in range(columns):
        window_left = left + int((column + 0.5) * house_width / columns) - window_width // 2
        if abs(window_left - door_left) < door_width + 16:
            continue
        box = (
            window_left,
            top + int(house_height * 0.3),
            window_left + window_width,
            top + int(house_height * 0.3) + window_height,
        )
        draw.rectangle(box, fill=glass, outline=trim, width=5)
    for tree_x in scene.sample((50, 120, width - 130, width - 60), scene.randint(1, 3)):
        trunk_base = horizon + scene.randint(30, 120)
        crown = scene.randint(50, 90)
        draw.rectangle((tree_x - 8, trunk_base - 130, tree_x + 8, trunk_base), fill=(90, 64, 40))
        draw.ellipse(
            (tree_x - crown, trunk_base - 130 - crown, tree_x + crown, trunk_base - 130 + crown),
            fill=_shade((60, 120, 60), scene.uniform(0.85, 1.1)),
        )

    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()
