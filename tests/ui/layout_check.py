"""What a person would see as broken on a kiosk screen, read off Kivy's widget tree.

- **cut text**: a label's drawn text (its texture) is larger than the label: the words run
  over what is beside them, or are cut by the screen's edge;
- **off screen**: a touch target or a text lies partly outside the window (outside a
  scrolling list, where that is what scrolling is for);
- **overlap**: two touch targets cover each other (a finger cannot choose);
- **cut picture**: a pictogram larger than the scrolling area showing it (no scroll
  position shows it whole);
- **short band**: a scrolling area shorter than one line of a text it scrolls (squeezed
  by what is around it: no scroll position shows a whole line);
- **narrow text**: a wrapped text given less than two characters' width (its words come
  one letter per line);
- **text over text**: the letters of two texts drawn over each other (each text's ink: its
  lines' extent within its drawn texture, as its alignment places them).

Each finding is a short line naming the widget (its test id, else its class and text), so a
failing test says where to look; the screenshot beside it shows it.
"""

from __future__ import annotations

# A label's texture may be a couple of pixels larger than its box (glyph padding, rounding).
SLACK = 3.0


def _shown(widget) -> bool:
    node = widget
    while node is not None:
        if getattr(node, "opacity", 1) == 0 or getattr(node, "disabled_hidden", False):
            return False
        if node.width <= 1 or node.height <= 1:
            return False
        parent = node.parent
        if parent is node or parent is None:
            break
        node = parent
    return widget.get_root_window() is not None


def _scroll_clip(widget):
    """The window rectangle of the nearest ScrollView around `widget` (or None)."""
    from kivy.uix.scrollview import ScrollView

    node = widget.parent
    while node is not None and node is not node.parent:
        if isinstance(node, ScrollView):
            x, y = node.to_window(node.x, node.y)
            return x, y, x + node.width, y + node.height
        node = node.parent
    return None


def name_of(widget) -> str:
    tid = getattr(widget, "tid", "")
    if tid:
        return tid
    text = str(getattr(widget, "text", "") or "")[:40].replace("\n", " ")
    return f"{type(widget).__name__}({text!r})" if text else type(widget).__name__


def window_box(widget) -> tuple[float, float, float, float]:
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > SLACK and h > SLACK else 0.0


def cut_texts(screen) -> list[str]:
    from kivy.uix.label import Label

    found = []
    for widget in screen.walk():
        if not isinstance(widget, Label) or not widget.text.strip() or not _shown(widget):
            continue
        if widget.texture is None:
            continue  # not drawn yet
        tw, th = widget.texture_size
        if getattr(widget, "shorten", False):
            tw = 0  # shortened on purpose ("…") across; its line can still be too tall
        if tw > widget.width + SLACK or th > widget.height + SLACK:
            found.append(f"cut text: {name_of(widget)} draws {tw:.0f}x{th:.0f} "
                         f"in {widget.width:.0f}x{widget.height:.0f}")
    return found


def off_screen(screen, window_size) -> list[str]:
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.label import Label

    width, height = window_size
    found = []
    for widget in screen.walk():
        if not isinstance(widget, ButtonBehavior | Label) or not _shown(widget):
            continue
        if isinstance(widget, Label) and not widget.text.strip():
            continue
        box = window_box(widget)
        clip = _scroll_clip(widget)
        if clip is not None:
            continue  # a scrolling list: what is below is reached by scrolling
        if box[0] < -SLACK or box[1] < -SLACK or box[2] > width + SLACK or box[3] > height + SLACK:
            found.append(f"off screen: {name_of(widget)} at "
                         f"({box[0]:.0f},{box[1]:.0f})-({box[2]:.0f},{box[3]:.0f})")
    return found


def overlapping_targets(screen) -> list[str]:
    from kivy.uix.behaviors import ButtonBehavior

    targets = [w for w in screen.walk() if isinstance(w, ButtonBehavior) and _shown(w)]
    # Each target's box, scroll clip and ancestors once, not once per pair (n² pairs).
    boxes = [window_box(t) for t in targets]
    clips = [_scroll_clip(t) for t in targets]
    found = []
    for i, j in _apart(targets):
        box_a, box_b = boxes[i], boxes[j]
        clip = clips[i] or clips[j]
        if clip is not None:
            box_a, box_b = _clipped(box_a, clip), _clipped(box_b, clip)
        if _overlap(box_a, box_b):
            found.append(f"overlap: {name_of(targets[i])} and {name_of(targets[j])}")
    return found


def _apart(widgets: list):
    """The pairs (i, j) of widgets neither of which holds the other (a button within a card
    is one target in another, by design); each one's ancestors read once, not per pair."""
    around = [_ancestors(w) for w in widgets]
    for i, a in enumerate(widgets):
        for j in range(i + 1, len(widgets)):
            if id(widgets[j]) not in around[i] and id(a) not in around[j]:
                yield i, j


def cut_pictures(screen) -> list[str]:
    """Pictures a scrolling area can never show whole: taller or wider than its window."""
    from kivy.uix.image import Image

    found = []
    for widget in screen.walk():
        if not isinstance(widget, Image) or not widget.source or not _shown(widget):
            continue
        clip = _scroll_clip(widget)
        if clip is None:
            continue
        # What is drawn: the picture fitted in its box ("contain": a tall row's box holds a
        # small picture).
        width, height = widget.norm_image_size
        if height > clip[3] - clip[1] + SLACK or width > clip[2] - clip[0] + SLACK:
            found.append(f"cut picture: {name_of(widget)} ({widget.source.rsplit('/', 1)[-1]}) "
                         f"{width:.0f}x{height:.0f} in a scrolling area "
                         f"{clip[2] - clip[0]:.0f}x{clip[3] - clip[1]:.0f}")
    return found


def _line_height(label) -> float:
    """The height of one line of a label's text: its first word in its font and size."""
    from kivy.core.text import Label as CoreLabel

    core = CoreLabel(font_name=label.font_name, font_size=label.font_size, bold=label.bold)
    return float(core.get_extents(label.text.split()[0])[1])


def _kv_id(widget) -> str:
    """The widget's id in the kv rule of one of its ancestors ("" when it has none)."""
    node = widget.parent
    while node is not None and node is not node.parent:
        for name, value in getattr(node, "ids", {}).items():
            if getattr(value, "__self__", value) is widget:  # ids hold weak proxies
                return name
        node = node.parent
    return ""


def short_bands(screen) -> list[str]:
    """Scrolling areas shorter than one line of the texts they scroll (the tallest line, so
    each text can be read a line at a time). A band squeezed to nothing counts: only its
    width and what is around it must be shown."""
    from kivy.uix.label import Label
    from kivy.uix.scrollview import ScrollView

    found = []
    for band in screen.walk():
        if not isinstance(band, ScrollView) or band.opacity == 0 or band.width <= 1:
            continue
        if band.parent is None or not _shown(band.parent):
            continue
        texts = [w for w in band.walk(restrict=True)
                 if isinstance(w, Label) and w.text.strip() and w.opacity != 0 and w.width > 1]
        if not texts:
            continue
        height, text = max((_line_height(t), name_of(t)) for t in texts)
        if band.height + SLACK < height:
            found.append(f"short band: {_kv_id(band) or name_of(band)} {band.height:.0f} px "
                         f"high, less than a line of {text} ({height:.0f} px)")
    return found


def narrow_texts(screen) -> list[str]:
    """Wrapped texts (a width given to wrap in) narrower than two characters of their font."""
    from kivy.uix.label import Label

    found = []
    for label in screen.walk():
        if (isinstance(label, Label) and len(label.text.strip()) > 2 and _shown(label)
                and label.text_size[0] is not None and label.width > 1
                and label.text_size[0] < 2 * label.font_size):
            found.append(f"narrow text: {name_of(label)} {label.text_size[0]:.0f} px wide "
                         f"for a {label.font_size:.0f} px font")
    return found


def ink_box(label) -> tuple[float, float, float, float]:
    """Where a label's letters are drawn, in window coordinates. Kivy draws the texture
    centred on the label; a text given a width to wrap in (or a height) has a texture that
    size, its lines placed in it by `halign`/`valign`: the widest line and the lines' height
    are what is inked, within the texture (nothing is drawn outside it)."""
    tw, th = label.texture_size
    cx, cy = label.to_window(label.center_x, label.center_y)
    x0, y0 = cx - tw / 2, cy - th / 2
    x1, y1 = x0 + tw, y0 + th
    texture = x0, y0, x1, y1
    lines = getattr(getattr(label, "_label", None), "_cached_lines", None) or []
    if not lines:
        return texture
    left, top, right, bottom = label.padding
    width, height = max(line.w for line in lines), sum(line.h for line in lines)
    if label.text_size[0] is not None and label.halign != "justify":
        halign = label.halign
        if halign == "auto":
            halign = "right" if label.base_direction in ("rtl", "weak_rtl") else "left"
        if halign == "left":
            x0, x1 = x0 + left, x0 + left + width
        elif halign == "right":
            x0, x1 = x1 - right - width, x1 - right
        else:
            x0 = x0 + left + (tw - left - right - width) / 2
            x1 = x0 + width
    if label.text_size[1] is not None:
        if label.valign == "top":
            y0 = y1 - top - height
            y1 = y1 - top
        elif label.valign == "bottom":
            y0, y1 = y0 + bottom, y0 + bottom + height
        else:
            y0 = y0 + bottom + (th - top - bottom - height) / 2
            y1 = y0 + height
    return _clipped((x0, y0, x1, y1), texture)  # lines taller than the texture: cut there


def text_over_text(screen) -> list[str]:
    """Two texts whose letters are drawn over each other (in a scrolling list, what is
    within its window)."""
    from kivy.uix.label import Label

    labels = [w for w in screen.walk() if isinstance(w, Label) and w.text.strip()
              and w.texture is not None and _shown(w)]
    boxes = [_clipped(ink_box(w), _scroll_clip(w)) for w in labels]
    return [f"text over text: {name_of(labels[i])} and {name_of(labels[j])}"
            for i, j in _apart(labels) if _overlap(boxes[i], boxes[j])]


def _ancestors(widget) -> set[int]:
    found, node = set(), widget.parent
    while node is not None and node is not node.parent:
        found.add(id(node))
        node = node.parent
    return found


def _clipped(box, clip):
    if clip is None:
        return box
    return max(box[0], clip[0]), max(box[1], clip[1]), min(box[2], clip[2]), min(box[3], clip[3])


def problems(app) -> list[str]:
    """Every finding on the current screen (and the notice/popups over it)."""
    from kivy.core.window import Window

    screen = app.root.current_screen
    return (cut_texts(screen) + off_screen(screen, Window.size)
            + overlapping_targets(screen) + cut_pictures(screen) + short_bands(screen)
            + narrow_texts(screen) + text_over_text(screen))
