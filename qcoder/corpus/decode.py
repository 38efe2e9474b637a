"""Bytes → text, choosing the encoding the way a careful human would.

Order matters: a byte-order mark is the strongest evidence; NUL bytes are either UTF-16 or
binary; a file that is valid UTF-8 is UTF-8 (the chance that GBK or Big5 text is also valid
UTF-8 is negligible beyond a few bytes); UTF-16 without a BOM and without NUL bytes (pure CJK
text has none) is recognised by how plausible the decoded characters are; only then is
charset-normalizer asked to guess among the legacy encodings (GB18030/GBK, Big5, ...).

The decoded text is returned exactly as decoded: line endings and everything else are left
to the cleaning steps, so `--dry-run` can report them.
"""

from __future__ import annotations

import dataclasses
import re

from qcoder.corpus.types import Decoded, ImportRefused

_SAMPLE = 64 * 1024  # bytes inspected by the heuristics; enough to be sure, cheap on 50 MB files

# Magic numbers of file types people drop into an import folder by mistake.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF file; copy its text into a .txt file (or save it as .docx) first"),
    (b"PK\x03\x04", "a ZIP archive (or an Office file with the wrong suffix); unpack it or name a Word file .docx"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image; only text can be imported"),
    (b"\xff\xd8\xff", "a JPEG image; only text can be imported"),
    (b"GIF87a", "a GIF image; only text can be imported"),
    (b"GIF89a", "a GIF image; only text can be imported"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-style Office file (.doc/.xls); save it as .docx or .txt first"),
    (b"\x1f\x8b", "a gzip archive; unpack it first"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive; unpack it first"),
    (b"Rar!", "a RAR archive; unpack it first"),
    (b"\x7fELF", "a program, not text"),
)

# Characters that make up real text: CJK ideographs, kana/hangul are *not* included on
# purpose (GBK bytes misread as UTF-16 land in Hangul/Yi/private-use blocks), printable
# ASCII, whitespace, CJK and general punctuation, full-width forms.
_PLAUSIBLE = re.compile(
    "[\u4e00-\u9fff\u3400-\u4dbf\u3000-\u303f\uff00-\uffef\u2000-\u206f\u0020-\u007e\t\n\r\u00a0-\u00ff]"
)
# C0 control characters other than tab, LF, VT, FF, CR (and ESC, used by some terminals' logs).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f]")

# charset-normalizer's codec names, grouped into the families we report.
_FAMILY = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "hz": "hz",
    "big5": "big5",
    "big5hkscs": "big5",
    "cp950": "big5",
}
# The codec used to decode each family: the superset, so rare characters survive.
_FAMILY_CODEC = {"gb18030": "gb18030", "big5": "big5hkscs"}


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def _refuse_signature(raw: bytes) -> None:
    for magic, what in _SIGNATURES:
        if raw.startswith(magic):
            raise ImportRefused(f"this is {what}")


def _plausible_share(text: str) -> float:
    if not text:
        return 0.0
    return len(_PLAUSIBLE.findall(text)) / len(text)


def _utf16_by_nul_pattern(raw: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' if a file with NUL bytes reads as text in that byte order.

    The NULs alone do not tell the order: ASCII puts its zero high byte on one side, but
    CJK characters U+xx00 (一, 需, …) put a zero low byte on the other, and 一 is about as
    common as a line break. So decode a sample both ways and keep the one that reads.
    """
    if len(raw) % 2:
        return None
    sample = raw[:_SAMPLE]
    share, codec = max(
        (_plausible_share(sample.decode(codec, errors="replace")), codec) for codec in ("utf-16-le", "utf-16-be")
    )
    return codec if share >= 0.9 else None


def _utf16_by_plausibility(raw: bytes) -> tuple[str, str] | None:
    """UTF-16 without BOM and without NULs (pure CJK): accept only if it reads as text."""
    if len(raw) % 2:
        return None
    sample = raw[: _SAMPLE - _SAMPLE % 2]
    best: tuple[float, str] | None = None
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            share = _plausible_share(sample.decode(codec))
        except UnicodeDecodeError:
            continue
        if best is None or share > best[0]:
            best = (share, codec)
    if best is None or best[0] < 0.97:
        return None
    try:
        return raw.decode(best[1]), best[1]
    except UnicodeDecodeError:
        return None


def _legacy(raw: bytes) -> Decoded:
    """Ask charset-normalizer; decode the whole file strictly with the family's superset codec."""
    from charset_normalizer import from_bytes

    match = from_bytes(raw[: 4 * _SAMPLE] if len(raw) > 4 * _SAMPLE else raw).best()
    family = "" if match is None else _FAMILY.get(match.encoding, match.encoding.replace("_", "-"))
    if family not in _FAMILY_CODEC:
        chinese = _chinese(raw)  # short texts charset-normalizer cannot place, or places in another script
        if chinese is not None:
            return chinese
    if match is None:
        raise ImportRefused(
            "cannot tell the text encoding (not UTF-8, UTF-16, GB18030 or Big5); save the file as UTF-8 and import again"
        )
    codec = match.encoding
    use = _FAMILY_CODEC.get(family, codec)
    if family == "big5":
        try:  # a Windows Big5 file: cp950 maps ‧ and ～ as Windows wrote them (Big5-HKSCS gives • and ∼)
            text = raw.decode("cp950")
        except UnicodeDecodeError:
            pass
        else:
            language = f", {match.language}" if match.language and match.language != "Unknown" else ""
            return Decoded(
                text=text, encoding=family, how=f"charset-normalizer ({codec}{language}); cp950 (Windows Big5)"
            )
    try:
        text = raw.decode(use)
    except (UnicodeDecodeError, LookupError):
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError as exc:
            raise ImportRefused(
                f"the file looks like {family} but byte {exc.start} is not valid in it; save it as UTF-8 and import again"
            ) from None
    language = f", {match.language}" if match.language and match.language != "Unknown" else ""
    return Decoded(text=text, encoding=family, how=f"charset-normalizer ({codec}{language})")


# The most frequent Chinese characters (simplified and traditional forms): real Chinese text is
# full of them, Chinese bytes decoded with the wrong Chinese codec almost never.
_COMMON = frozenset(
    "的一是不了在人有我他这這个個们們中来來上大为為和国國地到以说說时時要就出会會可也你对對生能而子那得于於"
    "着著下自之年过過发發后後作里裡用道行所然家种種事成方多经經么麼去法学學如都同现現当當没沒动動面起看定天分"
    "还還进進好小部其些主样樣理心她本前开開但因只从從想实實日军軍者意无無力它与與长長把机機十民第公此已工使情明"
    "性知全三又关關点點正业業外将將两兩高间間由问問很最重并並物手应應战戰向头頭文体體政美相见見被利什二等产產或"
    "新己制製身果加西斯月话話合回特代内內信表化老给給世位次度门門任常先海通教儿兒原东東声聲提立及比员員解水名真"
    "论論处處走义義各入几幾口认認条條平系气氣题題活尔爾更别別打女变變四神总總何电電数數安少报報才结結反受目太量"
    "再感建务務做接必场場件计計管期市直德资資命山金指克许許统統区區保至队隊形社便空决決治展马馬科司五基眼书書非"
    "则則听聽白却卻界达達光放强強即像难難且权權思王象完设設式色路记記南品住告类類求据據程北边邊死张張该該交规規"
    "万萬取拉格望觉覺术術领領共确確传傳师師观觀清今切院让讓识識候带帶导導争爭运運笑飞飛风風步改收根干幹造言联聯"
    "持组組每济濟车車亲親极極林服快办辦议議往元英士证證近失转轉夫令准準布始怎呢存未远遠叫台單单影具罗羅字爱愛击"
    "擊流备備兵连連调調深商算质質团團集百需价價花党黨华華城石级級整府离離况況亚亞请請技际際约約示复復病息究线線似"
    "官火断斷精满滿支视視消越器容照须須九增研写寫称稱企八功吗嗎包片史委乎查轻輕易早曾除农農找装裝广廣显顯吧阿李"
    "标標谈談吃图圖念六引历歷首医醫局突专專费費号號尽盡另周较較注语語仅僅考落青随隨选選列武红紅响響虽雖推势勢参"
    "參希古众眾构構房半节節土投某案黑维維革划劃敌敵致陈陳律足态態护護七兴興派孩验驗责責营營星够夠章音跟志底站严"
    "嚴巴例防族供效续續施留讲講型料终終答紧緊黄黃绝絕奇察母京段依批群项項故按河米围圍江织織害斗鬥双雙境客纪紀采"
    "採举舉杀殺攻父苏蘇密低朝友诉訴止细細愿願千值仍男钱錢破网網热熱助倒育属屬坐帝限船脸臉职職速刻乐樂否刚剛威毛"
    "状狀率甚独獨球般普怕弹彈校苦创創假久错錯承印晚兰蘭试試股拿脑腦预預谁誰益阳陽若哪微尼继繼送急血惊驚伤傷素药藥"
    "适適波夜省初喜卫衛源食险險待述陆陸习習置居劳勞财財环環排福纳納欢歡雷警获獲模充负負云雲停木游遊龙龍树樹疑层"
    "層冷洲冲衝射略范範竟句室异異激汉漢村哈策演简簡卡罪判担擔州静靜退既衣您宗积積余餘痛检檢差富灵靈协協角占配征"
    "修皮挥揮胜勝降阶階审審沉坚堅善妈媽刘劉读讀啊超免压壓银銀买買皇养養伊怀懷执執副乱亂抗犯追帮幫宣佛岁歲航优優"
    "怪香著田铁鐵控税稅左右份穿艺藝背阵陣草脚腳概恶惡块塊顿頓敢守酒岛島托央户戶烈洋哥索胡款靠评評版宝寶座释釋景"
    "顾顧弟登货貨互付伯慢欧歐换換闻聞危忙核暗姐介坏壞讨討丽麗良序升监監临臨亮露永呼味野架域沙掉括舰艦鱼魚杂雜误"
    "誤湾灣吉减減编編楚肯测測败敗屋跑梦夢散温溫困剑劍渐漸封救贵貴枪槍缺楼樓县縣尚毫移娘朋画畫班智亦耳恩短掌恐遗"
    "遺固席松秘谢謝鲁魯遇康虑慮幸均销銷钟鐘诗詩藏赶趕剧劇票损損忽巨炮旧舊端探湖录錄叶葉春乡鄉附吸予礼禮港雨呀板"
    "庭妇婦归歸睛饭飯额額含顺順输輸摇搖招婚脱脫补補谓謂督毒油疗療旅泽澤材灭滅逐莫笔筆亡鲜鮮词詞圣聖择擇寻尋厂廠"
    "睡博勒烟煙授诺諾伦倫岸奥奧唐卖賣俄炸载載洛健堂旁宫宮喝借君禁阴陰园園谋謀宋避抓荣榮姑孙孫逃牙束跳顶頂玉镇鎮"
    "雪午练練迫爷爺篇肉嘴馆館遍凡础礎洞卷坦牛宁寧纸紙诸諸训訓私庄莊祖丝絲翻暴森塔默握戏戲隐隱熟骨访訪弱蒙歌店鬼"
    "软軟典欲萨薩伙遭盘盤爸扩擴盖蓋弄雄稳穩忘亿億刺拥擁徒姆杨楊齐齊赛賽趣曲刀床迎冰虚虛玩析窗醒妻透购購替塞努休"
    "虎扬揚途侵刑绿綠兄迅套贸貿毕畢唯谷轮輪库庫迹跡尤竞競街促延震弃棄甲伟偉麻川申缓緩潜潛闪閃售灯燈针針哲络絡抵"
    "朱埃抱鼓植纯純夏忍页頁杰傑筑築折郑鄭贝貝尊吴吳秀混臣雅振染盛怒舞圆圓搞狂措姓残殘秋培迷诚誠宽寬宇猛摆擺梅毁"
    "毀伸摩盟末乃悲拍丁赵趙厅廳蓝藍阻呆瞧貼"
)
_CJK_RUN = re.compile("[\u4e00-\u9fff]")


def _common_share(text: str) -> float:
    ideographs = _CJK_RUN.findall(text)
    return sum(1 for c in ideographs if c in _COMMON) / len(ideographs) if ideographs else 0.0


def _chinese(raw: bytes) -> Decoded | None:
    """GB18030 or Windows Big5 (cp950), whichever reads as Chinese: its ideographs are mostly common
    ones and clearly more so than the other's. None if neither does (then another script it is)."""
    scores = []
    for codec, family in (("gb18030", "gb18030"), ("cp950", "big5")):
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        scores.append((_common_share(text[:_SAMPLE]), codec, family, text))
    if not scores:
        return None
    scores.sort(reverse=True)
    best = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else 0.0
    if best[0] < 0.3 or best[0] < 1.5 * runner_up:
        return None
    return Decoded(text=best[3], encoding=best[2], how=f"reads as Chinese in {best[1]} (common characters)")


def _check_text(decoded: Decoded) -> Decoded:
    nuls = decoded.text.count("\x00")
    if nuls:  # U+0000 is invisible, and PostgreSQL cannot store it in text at all
        plural = "s" if nuls != 1 else ""
        decoded = dataclasses.replace(
            decoded, text=decoded.text.replace("\x00", ""), how=f"{decoded.how}; {nuls} NUL character{plural} dropped"
        )
    text = decoded.text
    if not text.strip():
        raise ImportRefused("the file contains only whitespace; nothing to import")
    controls = len(_CONTROL.findall(text[:_SAMPLE]))
    if controls > max(2, len(text[:_SAMPLE]) // 1000):
        raise ImportRefused(
            f"the file decodes as {decoded.encoding} but is full of control characters; it is probably binary, not text"
        )
    return decoded


def decode(raw: bytes, *, max_bytes: int) -> Decoded:
    """Decode `raw` or raise ImportRefused with a one-line message that says what to do."""
    if len(raw) > max_bytes:
        raise ImportRefused(
            f"the file is {_size(len(raw))}, over the {_size(max_bytes)} import limit; split it or raise max_bytes in the project settings"
        )
    if not raw:
        raise ImportRefused("the file is empty; nothing to import")

    # 1. Byte-order marks (UTF-32 first: its LE mark starts with UTF-16's).
    if raw.startswith(b"\xef\xbb\xbf"):
        return _check_text(_strict(raw, "utf-8-sig", "bom"))
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        codec = "utf-32-le" if raw[0] == 0xFF else "utf-32-be"
        return _check_text(_strict(raw[4:], codec, "bom"))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16-le" if raw[0] == 0xFF else "utf-16-be"
        return _check_text(_strict(raw[2:], codec, "bom"))

    _refuse_signature(raw)

    # 2. NUL bytes: UTF-16 if they sit on one parity, otherwise binary.
    if b"\x00" in raw:
        nul_codec = _utf16_by_nul_pattern(raw)
        if nul_codec is None:
            raise ImportRefused("the file contains NUL bytes and is not UTF-16 text; it is probably binary, not text")
        try:
            decoded = _strict(raw, nul_codec, "NUL-byte pattern (no BOM)")
        except ImportRefused:
            decoded = Decoded(text="", encoding=nul_codec, how="")
        if _plausible_share(decoded.text[:_SAMPLE]) < 0.9:
            raise ImportRefused("the file contains NUL bytes but does not read as UTF-16 text; it is probably binary")
        return _check_text(decoded)

    # 3. Strict UTF-8.
    try:
        return _check_text(Decoded(text=raw.decode("utf-8"), encoding="utf-8", how="valid utf-8"))
    except UnicodeDecodeError:
        pass

    # 4. UTF-16 without BOM or NULs, then legacy encodings.
    found = _utf16_by_plausibility(raw)
    if found is not None:
        return _check_text(Decoded(text=found[0], encoding=found[1], how="reads as UTF-16 text (no BOM)"))
    return _check_text(_legacy(raw))


def _strict(raw: bytes, codec: str, how: str) -> Decoded:
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            f"the file claims to be {codec} ({how}) but byte {exc.start} is invalid; re-save it as UTF-8 and import again"
        ) from None
    name = "utf-8-sig" if codec == "utf-8-sig" else codec
    return Decoded(text=text, encoding=name, how=how)
