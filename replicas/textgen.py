"""Deterministic, realistic Chinese message text for replicas, from a seeded random.Random."""

from __future__ import annotations

import random

PLACES = ["新兴路", "滨江大道", "人民路", "解放街", "东湖小区", "幸福家园", "城南新村", "建设北路",
          "工业园区", "火车站广场", "第三中学", "中心医院", "锦绣花园", "老城区菜市场", "西郊公交站"]
PROBLEMS = [
    ("路面破损严重，雨天积水，行人车辆通行困难", "城建"),
    ("夜间施工噪音扰民，严重影响周边居民休息", "环保"),
    ("公交线路调整后居民出行不便", "交通"),
    ("小区物业乱收费，业主多次反映无果", "城建"),
    ("学校周边交通拥堵，学生上下学存在安全隐患", "教育"),
    ("企业拖欠农民工工资至今未发放", "就业"),
    ("医院挂号难、排队时间过长", "医疗"),
    ("河道污水直排，气味刺鼻", "环保"),
    ("农村道路年久失修，村民出行困难", "三农"),
    ("路口红绿灯时长设置不合理，早晚高峰拥堵", "交通"),
    ("小区周边烧烤摊油烟扰民", "环保"),
    ("办理营业执照手续繁琐，跑了多次未办成", "政务"),
    ("夜间路灯不亮，存在治安隐患", "治安"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
UNITS = ["市住房和城乡建设局", "市交通运输局", "市生态环境局", "市教育局", "市人力资源和社会保障局",
         "市卫生健康委员会", "市公安局", "市农业农村局", "市政务服务管理局", "市城市管理局", "区人民政府"]


def masked_name(rng: random.Random) -> str:
    """An author name as platforms show it: surname plus stars."""
    return rng.choice(SURNAMES) + "**"


def phone(rng: random.Random) -> str:
    """A plausible mainland mobile number (personal data the harvester must never log)."""
    return "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))


def letter(rng: random.Random) -> dict[str, str]:
    """Title, body and topic label of one citizen letter."""
    place = rng.choice(PLACES)
    problem, topic = rng.choice(PROBLEMS)
    title = f"关于{place}{problem.split('，')[0]}的问题"
    lines = [
        f"尊敬的领导：您好！我是{place}附近的居民，{problem}。",
        f"这个问题已经持续了{rng.randint(2, 18)}个月，我们曾多次向有关部门反映，但一直没有得到解决。",
        "希望有关部门能够高度重视，尽快派人实地查看并妥善处理，还居民一个良好的生活环境。",
    ]
    if rng.random() < 0.3:
        lines.append(f"联系电话：{phone(rng)}。")
    return {"title": title, "body": "\n".join(lines), "topic": topic}


def official_reply(rng: random.Random, unit: str) -> str:
    """A reply in the register units use."""
    return (f"尊敬的网友您好：您反映的问题已收悉。经{unit}调查核实，相关情况属实，"
            f"我单位已安排工作人员于{rng.randint(1, 5)}个工作日内现场处理，并将持续跟踪整改情况。"
            "感谢您对我市工作的关心和支持！")
