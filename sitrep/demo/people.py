"""Fake personal data for the demo: Chinese names, 18-character resident identity
numbers with a correct GB 11643 check digit, and mobile numbers (vectorised with numpy).

Every identity number is unique by construction (see IdNumbers), so the only duplicate
identity numbers in the demo are the ones it plants on purpose.
"""

from __future__ import annotations

from datetime import date

import numpy as np

# Common surnames, with the ones frequent in Guangxi (黄, 韦, 覃, 莫, 蒙, 陆) weighted up.
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕"
                "丁任沈姚卢姜钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万严覃武莫蒙农")
_SURNAME_WEIGHT = {"黄": 6, "韦": 5, "李": 5, "陈": 4, "梁": 3, "覃": 3, "莫": 3, "王": 3, "张": 3, "刘": 3,
                   "杨": 2.5, "蒙": 2, "陆": 2, "林": 2, "罗": 2, "卢": 2, "农": 1.5, "吴": 2, "周": 1.5}
SURNAME_P = np.array([_SURNAME_WEIGHT.get(s, 1.0) for s in SURNAMES])
SURNAME_P /= SURNAME_P.sum()
MALE_CHARS = list("伟强军磊勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国志文海荣新永德春晓东")
FEMALE_CHARS = list("芳娜敏静丽艳娟霞秀玲桂英红燕萍琳雪梅婷慧莉兰凤洁琴云莹颖倩美月梦丹晶春晓佳欣怡雯")

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK_CHARS = np.array(list("10X98765432"))
MOBILE_PREFIXES = np.array([130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 155, 157, 158,
                            159, 166, 173, 177, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 198, 199])


def id_check_digit(first17: str) -> str:
    """GB 11643-1999 check character of the first 17 digits."""
    s = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS))
    return "10X98765432"[s % 11]


def valid_id_number(s: str) -> bool:
    return len(s) == 18 and s[:17].isdigit() and id_check_digit(s[:17]) == s[17].upper()


def names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    """One name per element of `male` (bool array): surname + one or two given characters."""
    n = len(male)
    sur = np.array(SURNAMES)[rng.choice(len(SURNAMES), n, p=SURNAME_P)]
    m1 = np.array(MALE_CHARS)[rng.integers(0, len(MALE_CHARS), n)]
    m2 = np.array(MALE_CHARS)[rng.integers(0, len(MALE_CHARS), n)]
    f1 = np.array(FEMALE_CHARS)[rng.integers(0, len(FEMALE_CHARS), n)]
    f2 = np.array(FEMALE_CHARS)[rng.integers(0, len(FEMALE_CHARS), n)]
    g1 = np.where(male, m1, f1)
    g2 = np.where(male, m2, f2)
    two = rng.random(n) < 0.7
    given = np.where(two, np.char.add(g1, g2), g1)
    return np.char.add(sur, given).astype(object)


def mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = MOBILE_PREFIXES[rng.integers(0, len(MOBILE_PREFIXES), n)].astype(np.int64)
    rest = rng.integers(0, 100_000_000, n, dtype=np.int64)
    return (prefix * 100_000_000 + rest).astype(str).astype(object)


class IdNumbers:
    """Issues unique identity numbers for people of given age bands.

    An identity number is area code + birth date + 3-digit sequence + check digit. Within
    one age band, person k gets slot (a*k + b) mod P of the band's (day, sequence) space,
    P prime: an affine map modulo a prime is a bijection, so no two people share a slot
    until the band has issued P numbers. State is a counter per band, so memory stays
    bounded however many people are generated.
    """

    # (first birth date, last birth date) of each band; the last digit of the sequence is
    # odd for men, even for women, as on real cards.
    BANDS = (
        (date(2004, 4, 1), date(2018, 12, 31)),   # 3-17
        (date(1992, 4, 1), date(2004, 3, 31)),    # 18-29
        (date(1977, 4, 1), date(1992, 3, 31)),    # 30-44
        (date(1962, 4, 1), date(1977, 3, 31)),    # 45-59
        (date(1937, 4, 1), date(1962, 3, 31)),    # 60+
    )
    BAND_P = np.array([0.08, 0.34, 0.32, 0.18, 0.08])

    def __init__(self, rng: np.random.Generator):
        self.counters = [0] * len(self.BANDS)
        self.spaces = []
        for lo, hi in self.BANDS:
            days = (hi - lo).days + 1
            p = _prime_below(days * 1000)
            a = int(rng.integers(1_000, p - 1))
            b = int(rng.integers(0, p))
            self.spaces.append((lo.toordinal(), p, a, b))

    def issue(self, rng: np.random.Generator, area_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(id_number, birth ordinal, male) for len(area_codes) people."""
        n = len(area_codes)
        band = rng.choice(len(self.BANDS), n, p=self.BAND_P)
        slot = np.empty(n, dtype=np.int64)
        birth = np.empty(n, dtype=np.int64)
        for b, (lo, p, mult, off) in enumerate(self.spaces):
            idx = np.nonzero(band == b)[0]
            k = np.arange(self.counters[b], self.counters[b] + len(idx), dtype=np.int64)
            self.counters[b] += len(idx)
            if self.counters[b] > p:
                raise ValueError("demo scale too large: identity numbers of an age band ran out")
            s = (k * mult + off) % p
            slot[idx] = s
            birth[idx] = lo + s // 1000
        seq = slot % 1000
        male = (seq % 2) == 1
        d = np.datetime64("1970-01-01", "D") + (birth - date(1970, 1, 1).toordinal())
        year = d.astype("datetime64[Y]").astype(np.int64) + 1970
        month = (d.astype("datetime64[M]") - d.astype("datetime64[Y]")).astype(np.int64) + 1
        dom = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
        ymd = year * 10000 + month * 100 + dom
        body = np.array([int(a) for a in area_codes], dtype=np.int64) * 10**11 + ymd * 1000 + seq
        digits = (body[:, None] // 10 ** np.arange(16, -1, -1)) % 10
        check = CHECK_CHARS[(digits @ ID_WEIGHTS) % 11]
        ids = np.char.add(body.astype(str), check).astype(object)
        return ids, birth, male


def _prime_below(n: int) -> int:
    def is_prime(k: int) -> bool:
        if k % 2 == 0:
            return k == 2
        f = 3
        while f * f <= k:
            if k % f == 0:
                return False
            f += 2
        return True

    k = n - 1
    while not is_prime(k):
        k -= 1
    return k
