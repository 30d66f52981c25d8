"""What the forum's people write: usernames, 问政 threads, official answers, chit-chat, board notices."""

from __future__ import annotations

import random

from replicas.textgen import PLACES, PROBLEMS, official_reply, phone

NAME_HEADS = ["绵州", "涪江", "游仙", "涪城", "科学城", "高新区", "园艺山", "南河", "富乐山", "小枧沟",
              "青义", "安州", "三台", "江油", "剑门", "越王楼", "铁牛街", "临园路"]
NAME_TAILS = ["老王", "小李", "居民", "打工人", "大叔", "阿姨", "宝妈", "过客", "的风", "看客", "老张",
              "骑手", "老师", "小哥", "散人", "吃货", "钓鱼佬", "上班族"]
# Official accounts: username, the unit that signs the answer, the topics it takes.
OFFICIALS = [
    ("市长信箱办公室", "绵州市人民政府办公室", ("政务", "其他")),
    ("区住建局", "涪城区住房和城乡建设局", ("城建",)),
    ("市交通运输局", "绵州市交通运输局", ("交通",)),
    ("市生态环境局", "绵州市生态环境局", ("环保",)),
    ("市教育局", "绵州市教育和体育局", ("教育",)),
    ("市公安局", "绵州市公安局", ("治安",)),
    ("市卫健委", "绵州市卫生健康委员会", ("医疗",)),
    ("市人社局", "绵州市人力资源和社会保障局", ("就业",)),
    ("市农业农村局", "绵州市农业农村局", ("三农",)),
]
OPENERS = {"投诉": "我要投诉！", "咨询": "想咨询一下，", "建议": "提个建议：", "求助": "万般无奈来论坛求助，"}
FOLLOW_UPS = ["顶一下，希望早日解决。", "同样的问题我们小区也有，楼主说的情况属实。", "已经过去一周了，还没有人管吗？",
              "帮顶，关注后续。", "这个问题反映很久了，希望这次能有个结果。", "支持楼主，我每天都从那里经过，确实很危险。",
              "上次打12345说会处理，结果还是没动静。", "坐等官方回复。"]
AFTER_ANSWER = ["感谢回复，期待落实。", "回复是回复了，问题还在，希望真正解决。", "今天看到有工人在处理了，点赞！",
                "已经解决了，感谢相关部门！", "希望说到做到，我们会继续关注。"]
CHAT_SUBJECTS = ["{place}新开了一家米粉店，有人去过吗？", "周末去富乐山耍，人好多", "今天的晚霞太好看了，随手拍几张",
                 "有没有一起夜跑的？{place}集合", "推荐一下{place}附近好吃的馆子", "问下大家，{place}附近哪里好停车",
                 "绵州这天气，早上穿棉袄中午穿短袖", "记录一下在{place}捡到的小猫，求领养"]
CHAT_BODIES = ["如题，{place}这边，大家有什么推荐的吗？", "刚从{place}回来，感觉还不错，分享给大家。",
               "各位坛友好，第一次发帖，请多关照。", "最近在{place}附近转了转，变化真的挺大的。"]
CHAT_REPLIES = ["沙发！", "去过，味道还可以", "顶", "同问", "路过看看", "楼主好人", "哈哈哈真的", "+1", "马克一下",
                "明天去试试", "我家就在附近，确实不错"]
NOTICES = {
    "wenzheng": [("【版规】网络问政版块发帖须知（必读）",
                  "一、发帖请选择分类：投诉、咨询、建议、求助。\n二、请写明具体地点、时间和诉求，便于相关部门核实。\n"
                  "三、不得发布不实信息和人身攻击言论，违者删帖。"),
                 ("关于网络问政帖子办理流程的说明",
                  "网友发帖后，由市长信箱办公室统一转交相关单位办理，单位答复后在原帖回复。\n"
                  "一般问题5个工作日内答复，复杂问题10个工作日内答复。")],
    "chat": [("【公告】绵州茶馆版规", "本版为闲聊灌水区，欢迎文明交流。\n禁止发布广告，违者封号。")],
}


def username(rng: random.Random) -> str:
    """A forum nickname such as 涪江老王 or 科学城打工人2018."""
    name = rng.choice(NAME_HEADS) + rng.choice(NAME_TAILS)
    return name + str(rng.randint(1990, 2024)) if rng.random() < 0.4 else name


def complaint(rng: random.Random, kind: str) -> tuple[str, str, str]:
    """Subject, body and topic of a 问政 thread of the given type."""
    place = rng.choice(PLACES)
    problem, topic = rng.choice(PROBLEMS)
    short = problem.split("，")[0]
    subject = rng.choice({
        "投诉": [f"{place}{short}，谁来管管？", f"强烈投诉{place}{short}", f"关于{place}{short}的问题"],
        "咨询": [f"咨询一下{place}{short}的问题", f"请问{place}{short}该找哪个部门？"],
        "建议": [f"建议有关部门解决{place}{short}", f"关于{place}{short}的一点建议"],
        "求助": [f"求助！{place}{short}", f"{place}{short}，求助各位领导"],
    }[kind])
    lines = [f"{OPENERS[kind]}本人住在{place}附近，{problem}。",
             f"从{rng.randint(2, 18)}个月前开始就是这样，打过12345也反映过，到现在还是老样子。",
             "希望相关部门看到后能派人来看看，给老百姓一个说法。"]
    if rng.random() < 0.2:
        lines.append(f"联系电话：{phone(rng)}")
    return subject, "\n".join(lines), topic


def follow_up(rng: random.Random, answered: bool) -> str:
    return rng.choice(AFTER_ANSWER if answered else FOLLOW_UPS)


def answer(rng: random.Random, unit: str) -> str:
    """An official account's answer, signed by its unit."""
    return f"{official_reply(rng, unit)}\n{unit}\n联系电话：0816-{rng.randint(2000000, 2999999)}"


def referral(unit: str) -> str:
    """The mayor's office passing a thread on before the unit answers."""
    return f"网友您好！您反映的问题已转交{unit}办理，请耐心等待答复。"


def chat(rng: random.Random) -> tuple[str, str]:
    place = rng.choice(PLACES)
    return rng.choice(CHAT_SUBJECTS).format(place=place), rng.choice(CHAT_BODIES).format(place=place)


def chat_reply(rng: random.Random) -> str:
    return rng.choice(CHAT_REPLIES)
