"""The `jsl` mode's gate: a 知道创宇 加速乐-style JavaScript cookie challenge that a browser passes and a crawler does not.

A visitor without a valid `__jsl_clearance_s` cookie gets HTTP 521 and a tiny page instead of the site:

stage 1  first visit, or a clearance that is invalid, expired or was solved under another User-Agent: a script
         spells `__jsl_clearance_s=<time>|-1|<tag>` out of obfuscated pieces, sets it and reloads. The
         response sets `__jsluid_s` (HttpOnly) when the visitor has none.
stage 2  a fresh stage-1 cookie: `go({...})`, a SHA-1 puzzle — the two characters missing from the clearance
         are found by hashing candidates against the digest given — then the clearance is set and the page
         reloads.

A clearance is an HMAC over (`__jsluid_s`, issue time, User-Agent) under the replica's secret (derived from its
seed): it holds for that visitor cookie and that User-Agent only, for `ttl_s` seconds of wall-clock time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

CLEARANCE = "__jsl_clearance_s"
VISITOR = "__jsluid_s"
STAGE1_TTL_S = 60.0  # a stage-1 cookie only buys the puzzle, and only for a minute
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
MISSING = slice(8, 10)  # the two characters of the clearance's MAC the puzzle withholds

# A minimal SHA-1 (the real challenge ships md5, sha1 and sha256 in the same spirit), then the solver.
_SHA1 = (
    "function sha1(s){var h=[1732584193,-271733879,-1732584194,271733878,-1009589776],b=[],w=[],i,j,t,a,c,d,e,f,"
    "n=s.length;for(i=0;i<n;i++)b[i>>2]|=s.charCodeAt(i)<<24-i%4*8;b[n>>2]|=128<<24-n%4*8;b[(n+8>>6<<4)+15]=n*8;"
    "for(i=0;i<b.length;i+=16){a=h[0];c=h[1];d=h[2];e=h[3];f=h[4];for(j=0;j<80;j++){w[j]=j<16?b[i+j]|0:"
    "(t=w[j-3]^w[j-8]^w[j-14]^w[j-16],t<<1|t>>>31);t=(a<<5|a>>>27)+f+w[j]+(j<20?(c&d|~c&e)+1518500249:j<40?"
    "(c^d^e)+1859775393:j<60?(c&d|c&e|d&e)-1894007588:(c^d^e)-899497514)|0;f=e;e=d;d=c<<30|c>>>2;c=a;a=t}"
    "h[0]=h[0]+a|0;h[1]=h[1]+c|0;h[2]=h[2]+d|0;h[3]=h[3]+e|0;h[4]=h[4]+f|0}"
    "for(s='',i=0;i<40;i++)s+=(h[i>>3]>>>28-i%8*4&15).toString(16);return s}"
)
_GO = (
    "function go(o){var c=o.chars,n=c.length,i,j,v;for(i=0;i<n;i++)for(j=0;j<n;j++){v=o.bts[0]+c[i]+c[j]+o.bts[1];"
    "if(sha1(v)==o.ct){document.cookie=o.tn+'='+v+';max-age='+o.vt+';path=/';"
    "location.href=location.pathname+location.search;return}}alert('请求验证失败，请刷新重试')}"
)


@dataclass(frozen=True, slots=True)
class Challenge:
    """The 521 page to answer with, and the `__jsluid_s` value to set (None when the visitor has one)."""

    html: str
    stage: int
    new_visitor: str | None = None


def _obfuscated(text: str, rng: random.Random) -> str:
    """`text` as a JavaScript expression of one-character pieces, each written one of several ways."""
    pieces = []
    for char in text:
        choice = rng.randrange(4)
        if char.isdigit() and choice == 0:
            pieces.append(f"(-~[]*{char}+[])" if char != "0" else "(+[]+[])")
        elif choice == 1:
            pieces.append(f"String.fromCharCode({ord(char)})")
        elif choice == 2:
            pieces.append(f"('\\x{ord(char):02x}')")
        else:
            pieces.append(f"('{char}')")
    return "+".join(pieces)


class JslGate:
    """Decides, per request, between the site and a challenge; counts what it served and what was solved."""

    def __init__(self, seed: int, ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        self.secret = hashlib.sha256(f"jact-jsl/{seed}".encode()).digest()
        self.ttl_s = ttl_s
        self.clock = clock
        self.visitors_issued = 0
        self.counts: Counter[str] = Counter()
        self.solved: set[str] = set()
        self.user_agents: set[str] = set()  # every User-Agent that came to the gated pages (the access log's)

    # --- what a request gets -------------------------------------------------------------------
    def answer(self, cookies: Mapping[str, str], user_agent: str) -> Challenge | None:
        """None when the request carries a valid clearance for its visitor cookie and User-Agent."""
        self.user_agents.add(user_agent)
        visitor = cookies.get(VISITOR, "")
        new_visitor = None
        if not self._visitor_ok(visitor):
            visitor = new_visitor = self._new_visitor()
        clearance = cookies.get(CLEARANCE, "")
        verdict = self._judge(clearance, visitor, user_agent) if new_visitor is None and clearance else "none"
        self.counts[verdict] += 1
        if verdict == "valid":
            if clearance not in self.solved:
                self.solved.add(clearance)
            return None
        stage = 2 if verdict == "stage1" else 1
        self.counts[f"stage{stage}_served"] += 1
        html = self._stage2(visitor, user_agent) if stage == 2 else self._stage1(visitor)
        return Challenge(html, stage, new_visitor)

    def stats(self) -> dict[str, Any]:
        served = self.counts["stage1_served"] + self.counts["stage2_served"]
        return {"challenges_served": served, "stage1_served": self.counts["stage1_served"],
                "stage2_served": self.counts["stage2_served"], "challenges_solved": len(self.solved),
                "passed": self.counts["valid"], "expired": self.counts["expired"],
                "rejected": self.counts["rejected"], "ttl_s": self.ttl_s, "user_agents": sorted(self.user_agents)}

    # --- cookies -------------------------------------------------------------------------------
    def _mac(self, *parts: str) -> bytes:
        return hmac.new(self.secret, "|".join(parts).encode(), hashlib.sha256).digest()

    def _new_visitor(self) -> str:
        self.visitors_issued += 1
        nonce = self._mac("uid", str(self.visitors_issued)).hex()[:16]
        return nonce + self._mac("uid-check", nonce).hex()[:16]

    def _visitor_ok(self, value: str) -> bool:
        return len(value) == 32 and hmac.compare_digest(self._mac("uid-check", value[:16]).hex()[:16], value[16:])

    def _clearance(self, visitor: str, issued: str, user_agent: str) -> str:
        mac = base64.urlsafe_b64encode(self._mac("clear", visitor, issued, user_agent)).decode()[:32]
        return f"{issued}|0|{mac}"

    def stage1_tag(self, visitor: str, issued: str) -> str:
        """What stage 1's script sets after `<issued>|-1|` for this visitor."""
        return self._mac("stage1", visitor, issued).hex()[:20]

    def _judge(self, clearance: str, visitor: str, user_agent: str) -> str:
        """valid | stage1 (a fresh stage-1 cookie) | expired | rejected (forged, another visitor or User-Agent)."""
        parts = clearance.split("|")
        if len(parts) != 3:
            return "rejected"
        issued, flag, _ = parts
        try:
            age = self.clock() - float(issued)
        except ValueError:
            return "rejected"
        if flag == "-1" and hmac.compare_digest(parts[2], self.stage1_tag(visitor, issued)):
            return "stage1" if 0 <= age <= STAGE1_TTL_S else "expired"
        if flag == "0" and hmac.compare_digest(clearance, self._clearance(visitor, issued, user_agent)):
            return "valid" if 0 <= age <= self.ttl_s else "expired"
        return "rejected"

    # --- pages ---------------------------------------------------------------------------------
    def _stage1(self, visitor: str) -> str:
        issued = f"{self.clock():.3f}"
        rng = random.Random(self._mac("pieces", visitor, issued))
        value = f"{CLEARANCE}={issued}|-1|{self.stage1_tag(visitor, issued)}"
        script = (f"document.cookie={_obfuscated(value, rng)}+';max-age={int(STAGE1_TTL_S)};path=/';"
                  "location.href=location.pathname+location.search")
        return f"<html><body><script>{script}</script></body></html>"

    def _stage2(self, visitor: str, user_agent: str) -> str:
        issued = f"{self.clock():.3f}"
        clearance = self._clearance(visitor, issued, user_agent)
        head, mac = clearance.rsplit("|", 1)
        chars = list(ALPHABET)
        random.Random(self._mac("chars", visitor, issued)).shuffle(chars)
        config = (f'{{"bts":["{head}|{mac[:MISSING.start]}","{mac[MISSING.stop:]}"],"chars":"{"".join(chars)}",'
                  f'"ct":"{hashlib.sha1(clearance.encode(), usedforsecurity=False).hexdigest()}","ha":"sha1",'
                  f'"tn":"{CLEARANCE}","vt":"{int(self.ttl_s)}","wt":"0"}}')
        return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>"
                f"<script>{_SHA1}{_GO}go({config})</script></body></html>")
