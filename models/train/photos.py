"""Real photographs and videos that installable packages ship, with their package, licence and use.

Why a fixed catalogue: nothing is downloaded at run time, and every photograph's role is decided
once, by a person who looked at it: ``train`` photographs (people-free, animal-free) become
backgrounds and hard negatives; ``eval`` ones are held out for the real-scene figures and never
trained on; ``people`` ones show people and serve evaluation only, never training. Near-duplicate
pairs (aloeL/aloeR, rubberwhale1/2, aero1/aero3, leuvenA/B) are kept in the same split.

`make model` installs the packages (opencv-doc and mate-backgrounds with apt-get, scikit-image
with pip through the ``train`` extra).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
MATE = Path("/usr/share/backgrounds/mate")
Split = Literal["train", "eval", "people"]


@dataclass(frozen=True)
class Source:
    """One package the photographs come from: how to install it and under which licence it ships them."""

    package: str
    install: str
    licence: str


SOURCES = {
    "opencv-doc": Source(
        "opencv-doc (Debian 4.6.0+dfsg-12)",
        "apt-get install opencv-doc",
        "OpenCV samples/data; Debian copyright: Files * Apache-2.0 AND BSD-3-Clause",
    ),
    "mate-backgrounds": Source(
        "mate-backgrounds (Debian 1.26.0-1)",
        "apt-get install mate-backgrounds",
        "GPL-2+ (Debian copyright; nature/ photographs, 2008 Charles Barbin and others)",
    ),
    "scikit-image": Source(
        "scikit-image (PyPI 0.26.0)",
        "pip install scikit-image",
        "brick, grass, gravel: CC0 (CC0Textures); coffee: CC0; rocket, hubble_deep_field: public domain "
        "(SpaceX, NASA); coins: no known copyright restrictions (skimage.data docstrings)",
    ),
}


@dataclass(frozen=True)
class Photo:
    """One file: where it lies once its package is installed, which package, and its role."""

    source: str
    name: str
    split: Split
    what: str

    def path(self) -> Path:
        """The installed file (scikit-image's data folder is found through the installed package)."""
        if self.source == "opencv-doc":
            return OPENCV_DATA / self.name
        if self.source == "mate-backgrounds":
            return MATE / self.name
        import skimage

        return Path(skimage.__file__).parent / "data" / self.name


def _p(source: str, split: Split, what: str, *names: str) -> list[Photo]:
    return [Photo(source, n, split, what) for n in names]


CATALOGUE: tuple[Photo, ...] = (
    # training backgrounds and hard negatives: textures, plants, objects, paintings; nobody in them
    *_p("mate-backgrounds", "train", "nature close-up", "nature/Aqua.jpg", "nature/Blinds.jpg"),
    *_p("mate-backgrounds", "train", "nature close-up", "nature/FreshFlower.jpg", "nature/Garden.jpg"),
    *_p("mate-backgrounds", "train", "nature close-up", "nature/LadyBird.jpg", "nature/RainDrops.jpg"),
    *_p("mate-backgrounds", "train", "nature close-up", "nature/TwoWings.jpg", "nature/YellowFlower.jpg"),
    *_p("mate-backgrounds", "train", "grass, wood", "nature/GreenMeadow.jpg", "nature/Wood.jpg"),
    *_p("mate-backgrounds", "train", "painting", "abstract/Elephants.jpg"),
    *_p("opencv-doc", "train", "objects", "board.jpg", "blox.jpg", "box_in_scene.png", "fruits.jpg"),
    *_p("opencv-doc", "train", "objects", "orange.jpg", "apple.jpg", "smarties.png", "sudoku.png"),
    *_p("opencv-doc", "train", "objects", "ela_original.jpg", "text_defocus.jpg", "left.jpg", "right.jpg"),
    *_p("opencv-doc", "train", "painting, insect", "starry_night.jpg", "butterfly.jpg"),
    *_p("scikit-image", "train", "textures", "brick.png", "grass.png", "gravel.png"),
    *_p("scikit-image", "train", "objects, sky", "coffee.png", "coins.png", "rocket.jpg", "hubble_deep_field.jpg"),
    # held out: real scenes with nobody in them (false detections per image)
    *_p("opencv-doc", "eval", "street, buildings", "leuvenA.jpg", "leuvenB.jpg", "building.jpg", "home.jpg"),
    *_p("opencv-doc", "eval", "aerial town", "aero1.jpg", "aero3.jpg"),
    *_p("opencv-doc", "eval", "indoor objects", "aloeL.jpg", "aloeR.jpg", "rubberwhale1.png", "rubberwhale2.png"),
    *_p("opencv-doc", "eval", "indoor objects", "stuff.jpg"),
    *_p("mate-backgrounds", "eval", "landscape", "nature/Dune.jpg", "nature/Storm.jpg"),
    # people: evaluation only, never training
    *_p("opencv-doc", "people", "pedestrians, fixed camera (video)", "vtest.avi"),
    *_p("opencv-doc", "people", "people indoors", "basketball1.png", "basketball2.png", "messi5.jpg"),
)
"""Every photograph in use. Files left out: drawings, logos, charts, and photos of animals."""

TREE_VIDEO = Photo("opencv-doc", "tree.avi", "eval", "tree in wind behind a window, fixed camera (video)")
"""A real clip of a static scene; a hand enters from frame TREE_HAND_FROM on, so the people-free part ends there."""
TREE_HAND_FROM = 52


def available(split: Split) -> list[Photo]:
    """Catalogue entries of ``split`` whose file is installed."""
    return [p for p in CATALOGUE if p.split == split and p.path().exists()]


def missing() -> list[str]:
    """Install hints for catalogue files that are absent (empty when everything is installed)."""
    return sorted({SOURCES[p.source].install for p in CATALOGUE if not p.path().exists()})


@cache
def load(photo: Photo, max_side: int = 1600) -> npt.NDArray[np.uint8]:
    """The photograph as BGR, shrunk so that its longer side is at most ``max_side``; cached per process."""
    img = cv2.imread(str(photo.path()), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f"{photo.path()}: cannot read ({SOURCES[photo.source].install})")
    g = max_side / max(img.shape[:2])
    return cv2.resize(img, None, fx=g, fy=g, interpolation=cv2.INTER_AREA) if g < 1 else img


def background(rng: np.random.Generator, w: int, h: int, photos: list[Photo]) -> npt.NDArray[np.uint8]:
    """A ``w`` x ``h`` BGR background cut from a random photograph at a random scale and position."""
    return cut(load(photos[int(rng.integers(len(photos)))]), rng, w, h)


def cut(img: npt.NDArray[np.uint8], rng: np.random.Generator, w: int, h: int) -> npt.NDArray[np.uint8]:
    """A ``w`` x ``h`` window of ``img`` zoomed 1-2.5x past covering the frame, at a random place, maybe mirrored."""
    ih, iw = img.shape[:2]
    g = max(w / iw, h / ih) * rng.uniform(1.0, 2.5)
    big = cv2.resize(img, (max(w, round(iw * g)), max(h, round(ih * g))), interpolation=cv2.INTER_LINEAR)
    y0 = int(rng.integers(0, big.shape[0] - h + 1))
    x0 = int(rng.integers(0, big.shape[1] - w + 1))
    out = big[y0 : y0 + h, x0 : x0 + w]
    return np.ascontiguousarray(out[:, ::-1] if rng.random() < 0.5 else out)


def video_frames(path: Path, stop: int | None = None) -> list[npt.NDArray[np.uint8]]:
    """Every decodable frame (BGR) of a video, up to frame ``stop``."""
    cap = cv2.VideoCapture(str(path))
    frames: list[npt.NDArray[np.uint8]] = []
    try:
        while stop is None or len(frames) < stop:
            ok, f = cap.read()
            if not ok:
                break
            frames.append(f)
    finally:
        cap.release()
    return frames
