"""The leader boards (fid) the replica hosts, with the handling unit behind each and its departments."""

from __future__ import annotations

from dataclasses import dataclass

# Local-leader boards are served by /v1/threads/list/df, ministry boards by /v1/threads/list/bw.
DF, BW = "df", "bw"


@dataclass(frozen=True)
class Board:
    """One forum: a leader or organ addressed by citizens, and the unit that answers for it."""

    fid: int
    name: str
    kind: str
    province: str
    cities: tuple[str, ...]
    region: str  # prefix of the departments that answer, e.g. 杭州市 -> 杭州市住房和城乡建设局
    unit: str  # the back-office account's organisation

    def departments(self) -> list[str]:
        """Organisations whose replies appear on this board."""
        return [self.region + suffix for suffix in DEPARTMENT_SUFFIXES]


DEPARTMENT_SUFFIXES = ("住房和城乡建设局", "交通运输局", "生态环境局", "教育局", "人力资源和社会保障局",
                       "卫生健康委员会", "公安局", "农业农村局", "城市管理局", "自然资源和规划局")

# Order matters: `boards=N` takes the first N. fids follow the real ranges (§1.7): provincial leaders ~559/560,
# city leaders 1007/1008, county secretaries 41xx-52xx, ministries 50xx.
CATALOGUE: tuple[Board, ...] = (
    Board(559, "浙江省委书记", DF, "浙江省", ("杭州市", "宁波市", "温州市", "绍兴市", "金华市"), "浙江省",
          "浙江省人民政府办公厅"),
    Board(1007, "杭州市市长", DF, "浙江省", ("杭州市",), "杭州市", "杭州市人民政府办公厅"),
    Board(4523, "淳安县委书记", DF, "浙江省", ("杭州市",), "淳安县", "中共淳安县委办公室"),
    Board(5050, "国家卫生健康委员会", BW, "", (), "国家卫生健康委员会", "国家卫生健康委员会办公厅"),
    Board(560, "浙江省省长", DF, "浙江省", ("杭州市", "嘉兴市", "湖州市", "台州市"), "浙江省",
          "浙江省人民政府办公厅"),
    Board(1008, "宁波市市长", DF, "浙江省", ("宁波市",), "宁波市", "宁波市人民政府办公厅"),
    Board(4187, "余姚市委书记", DF, "浙江省", ("宁波市",), "余姚市", "中共余姚市委办公室"),
    Board(585, "贵州省委书记", DF, "贵州省", ("贵阳市", "遵义市", "六盘水市"), "贵州省", "贵州省人民政府办公厅"),
)

# Where citizens write from (the IP-derived `from` field) when a board has no area of its own (ministries).
NATIONWIDE: tuple[tuple[str, str], ...] = (
    ("北京市", "北京市"), ("广东省", "广州市"), ("江苏省", "南京市"), ("四川省", "成都市"), ("河南省", "郑州市"),
    ("浙江省", "杭州市"), ("山东省", "济南市"), ("湖北省", "武汉市"),
)

IP_PREFIXES = {"浙江省": ("115.192", "60.186", "122.224", "183.129", "39.170"),
               "贵州省": ("220.197", "58.42", "111.121")}
OTHER_IP_PREFIXES = ("117.136", "223.104", "112.96", "36.112", "120.229")


def pick(count: int) -> list[Board]:
    """The first `count` boards of the catalogue."""
    if not 1 <= count <= len(CATALOGUE):
        raise ValueError(f"people replica: boards must be 1..{len(CATALOGUE)}, not {count}")
    return list(CATALOGUE[:count])
