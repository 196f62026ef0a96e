#!/usr/bin/env python3
"""Builds shared/chime-flow-core/eval/moderation.tsv, the labelled set `cargo run -p chime-flow-core --bin eval` scores.

Rows: label (deny|pass) <TAB> group <TAB> text. Sources (see SOURCES.md):
  - davidson-*: tweets from Davidson et al. 2017, "Automated Hate Speech Detection and the Problem of
    Offensive Language" (github.com/t-davidson/hate-speech-and-offensive-language, MIT). Only tweets
    every annotator agreed on: hate or offensive with no "neither" vote (deny), "neither" by all (pass).
  - the rest: written for this set (evasions, inflections, compounds, other languages, near misses,
    code, URLs, names), generated from templates below with a fixed seed.

Usage: python3 shared/chime-flow-core/eval/build_moderation.py /path/to/labeled_data.csv
"""
import csv
import html
import random
import re
import sys
from pathlib import Path

OUT = Path(__file__).with_name("moderation.tsv")
rng = random.Random(20261126)


def clean(text):
    text = html.unescape(html.unescape(text))
    return re.sub(r"\s+", " ", text).strip()


def davidson(path, per_class):
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    hate = [r for r in rows if r["class"] == "0" and r["neither"] == "0"]
    offensive = [r for r in rows if r["class"] == "1" and r["neither"] == "0" and r["hate_speech"] == "0"]
    neither = [r for r in rows if r["class"] == "2" and r["neither"] == r["count"]]
    out = []
    for group, label, pool, n in [
        ("davidson-hate", "deny", hate, per_class // 2),
        ("davidson-offensive", "deny", offensive, per_class),
        ("davidson-neither", "pass", neither, per_class + per_class // 2),
    ]:
        for r in rng.sample(pool, min(n, len(pool))):
            out.append((label, group, clean(r["tweet"])))
    return out


# English carriers: {w} is a noun/adjective/verb form; each fits most words well enough.
CARRIERS = [
    "you are such a {w}",
    "what a {w}, honestly",
    "lol {w}",
    "stop being a {w} in this channel",
    "that meeting was {w}",
    "{w} this, I'm out",
    "ok {w}, whatever you say",
    "go away {w}",
    "this build is {w} again",
    "@sam you {w}",
]

BASES = ["fuck", "shit", "bitch", "cunt", "asshole", "bastard", "dick", "pussy", "slut", "whore",
         "motherfucker", "twat", "wanker", "cock", "dickhead", "faggot", "nigger"]

LEET = {"a": "@", "i": "1", "o": "0", "e": "3", "s": "$"}
CYRILLIC = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р", "x": "х", "i": "і"}


def evasions(word):
    vowels = [i for i, c in enumerate(word) if c in "aeiou" and 0 < i < len(word) - 1]
    out = []
    if vowels:
        i = rng.choice(vowels)
        out.append(("mask", word[:i] + "*" + word[i + 1:]))
        out.append(("mask", word[:i] + "#" + word[i + 1:]))
    if len(word) >= 4:
        out.append(("mask", word[0] + "*" * (len(word) - 2) + word[-1]))
    out.append(("leet", "".join(LEET.get(c, c) if rng.random() < 0.6 else c for c in word)))
    j = rng.randrange(len(word))
    out.append(("repeat", word[:j] + word[j] * 4 + word[j:]))
    out.append(("spaced", " ".join(word.upper())))
    out.append(("dotted", ".".join(word)))
    out.append(("case", "".join(c.upper() if rng.random() < 0.5 else c for c in word)))
    out.append(("look-alike", "".join(CYRILLIC.get(c, c) for c in word)))
    out.append(("invisible", word[:2] + "\u200b" + word[2:]))
    out.append(("fullwidth", "".join(chr(ord(c) + 0xFEE0) for c in word)))
    return out


RESPELLINGS = ["fuk", "fuq", "fucc", "phuck", "phuk", "fvck", "fck", "fcking", "fuking", "fukin",
               "sht", "shyt", "sh1t", "biatch", "biotch", "btch", "bytch", "nigga", "niggah",
               "nigguh", "niggaz", "wanka", "muthafucka", "mothafucka", "phucking", "fuccboi", "azzhole"]
INFLECTIONS = ["fucking", "fucked", "fucker", "fuckers", "fuckin", "fucks", "shitty", "shitting",
               "shits", "shitter", "bitches", "bitchy", "bitching", "assholes", "bastards", "dicks",
               "slutty", "whores", "cunts", "twats", "wankers", "wanking", "cocks", "pussies",
               "faggots", "niggers", "fuckery", "shittiest"]
COMPOUNDS = ["bullshit", "horseshit", "dipshit", "batshit", "apeshit", "chickenshit", "shithead",
             "shithole", "shitstorm", "shitload", "clusterfuck", "motherfucking", "fuckwit",
             "fuckface", "dumbass", "jackass", "smartass", "asshat", "dickhead", "dickface",
             "bullshitting", "shitposting", "whorehouse", "bitchass", "sonofabitch", "mindfuck"]
CATEGORY_POSITIVES = {
    "slur": ["fag", "f@ggot", "n1gger", "n1gga", "retard", "retarded", "tranny", "spic", "kike",
             "chink", "towelhead", "wetback", "dyke", "raghead", "beaner", "gook", "faggy", "tard"],
    "sexual": ["tits", "titties", "blowjob", "cumshot", "dildo", "thot", "hoes", "jizz", "handjob",
               "gangbang", "skank", "cum"],
    "harassment": ["kys", "k.y.s", "KYS"],
}
HARASSMENT = ["go kill yourself", "just kill urself", "kill yourself already", "nobody likes you, kys",
              "go die in a fire", "I hope you die", "hope u die tbh", "neck yourself", "go drink bleach",
              "you should die", "k1ll y0urself", "kill yo self lol"]


def english_positives():
    out = []
    for word in BASES:
        for kind, spelled in evasions(word):
            out.append(("deny", f"en-evasion-{kind}", rng.choice(CARRIERS).format(w=spelled)))
    for group, words in [("en-respelling", RESPELLINGS), ("en-inflection", INFLECTIONS),
                         ("en-compound", COMPOUNDS)]:
        for w in words:
            for carrier in rng.sample(CARRIERS, 2):
                out.append(("deny", group, carrier.format(w=w)))
    for category, words in CATEGORY_POSITIVES.items():
        for w in words:
            for carrier in rng.sample(CARRIERS, 2):
                out.append(("deny", f"en-{category}", carrier.format(w=w)))
    for text in HARASSMENT:
        out.append(("deny", "en-harassment", text))
    return out


NEAR_MISS_WORDS = [
    "Scunthorpe", "Penistone", "Middlesex", "Sussex", "Essex", "assassin", "classic", "bass",
    "compass", "passage", "embassy", "assessment", "assume", "Cockburn", "Hancock", "peacock",
    "cocktail", "cockpit", "cockatoo", "Dickens", "Dickinson", "dictionary", "cumin", "shiitake",
    "mishit", "Pissarro", "therapist", "analyst", "grape", "shoe", "Niger", "Nigeria", "niggle",
    "niggardly", "snigger", "raccoon", "cocoon", "button", "buttress", "Titan", "title", "titmouse",
    "shell", "homogeneous", "spicy", "Japan", "Japanese", "wholesome", "sextant", "sextet",
    "analysis", "arsenal", "arsenic", "passion", "Dickensian", "cockney", "scrap", "Matsushita",
    "Yamashita", "Kinoshita", "hellish", "grasshopper", "bassoon", "Cassandra", "Lassie",
    "molasses", "harass", "Fucino", "pussywillow", "kumquat", "document",
    "circumstance", "cucumber", "Spicer", "Kikeriki", "Chinkapin", "Wogan", "dagoba",
    "woppa", "Japes", "honkytonk", "retardant", "Tardis", "dyker", "cunning", "country",
    "mississippi", "twattle", "prickly", "bugle", "damnation", "crapaud", "scrapbook",
    "pisco", "pistachio", "hoedown", "shoehorn", "Sexton", "mongoose", "Mongolia", "coonhound",
    "slutsky", "Hitchcock", "Babcock", "Woodcock", "Alcock", "Wilcox", "Dickey",
]
NEAR_MISS_CARRIERS = [
    "have you read about {w}?",
    "the {w} thing came up again in the review",
    "{w} is on the agenda for Monday",
    "I looked up {w} yesterday",
    "meet me near {w} at noon",
]
CLEAN = [
    "Morning all! Stand-up in 10 minutes.",
    "I'm going to kill it at the presentation today",
    "this bug is killing me, send coffee",
    "I could die laughing at that gif",
    "break a leg tonight!",
    "can you kill the process on port 8080?",
    "run `kill -9 $(pidof app)` and restart it",
    "the killer feature is offline mode",
    "roll the die again, you got a six",
    "we watched Suicide Squad last night",
    "damn, that was close",
    "oh crap, I forgot the slides",
    "bloody hell, the train is late again",
    "what the heck happened to the build?",
    "I read Moby Dick on holiday",
    "Dick Van Dyke was brilliant in that film",
    "she graduated summa cum laude",
    "add a pinch of cumin and stir",
    "shiitake mushrooms are on sale",
    "we spotted a blue tit in the garden",
    "tit for tat is not a strategy",
    "that's a chink in the armour of the plan",
    "the kitchen is spick and span",
    "Homo sapiens evolved in Africa",
    "Scunthorpe United won on Saturday",
    "the embassy is closed on Friday",
    "my cocky nephew won the chess match",
    "He is a rooster; the cock crowed at dawn",
    "I need a new hoe for the vegetable garden",
    "hoeing the garden takes all morning",
    "the assassin's creed soundtrack is great",
    "assert_eq!(parse(\"a::b\"), Ok(vec![\"a\", \"b\"]))",
    "class Dick(Base): pass",
    "git push --force-with-lease origin main",
    "SELECT * FROM users WHERE id = 42;",
    "rm -rf /tmp/build/*",
    "**important**: deploy at 5pm, *not* before",
    "#include <stdio.h> and int main() { return 0; }",
    "std::cout << \"hello\" << std::endl;",
    "for (int cnt = 0; cnt < n; cnt++) { sum += a[cnt]; }",
    "let ass = assets.iter().map(|a| a.id);",
    "fsck /dev/sda1 found no errors",
    "the regex is ^[a-z]+\\*?$",
    "see https://example.com/assets/classic.css for the styles",
    "docs at https://www.scunthorpe.gov.uk/bins",
    "https://github.com/rust-lang/rust/issues/12345",
    "the file is at s3://bucket/passages/essex-2024.csv",
    "ping @dickson and @hancock about the release",
    "Professor Pissarro will join the call",
    "Kshitij and Ashita are presenting today",
    "Mr. Matsushita sent the invoice",
    "the Niger river is over 4,000 km long",
    "I had a niggle in my calf after the run",
    "the cat sat on the mat",
    "Japanese lessons start next week",
    "the shuttlecock went over the net",
    "the analyst's report is due Tuesday",
    "we need to assess the risk",
    "pass the salt please",
    "the game was a real nail-biter",
    "that joke was savage lol",
    "I'm so pissed off about the delay",
    "what the hell is going on",
    "this is a damn fine coffee",
    "screw it, let's ship it",
    "the dog's bollocks, mate",
    "sucks that the demo failed",
    "Sussex and Essex are in England",
    "the peacock spread its feathers",
    "Middlesex University offers that course",
    "he's such a jerk sometimes",
    "you idiot, you deleted prod",
    "stupid printer jammed again",
    "shut up and take my money",
    "hello world",
]


def english_negatives():
    out = []
    for w in NEAR_MISS_WORDS:
        out.append(("pass", "en-near-miss-word", rng.choice(NEAR_MISS_CARRIERS).format(w=w)))
    for text in CLEAN:
        out.append(("pass", "en-clean", text))
    return out


# Other languages: (language, positives, negatives). Written for this set.
LANGS = {
    "es": (
        ["eres un pendejo", "qué mierda de día", "hijo de puta", "vete a la mierda, cabrón",
         "esos putos coches", "joder, otra vez no", "no seas gilipollas", "maldito maricón",
         "qué coño haces", "chinga tu madre", "sois unos cabrones", "la puta madre",
         "eres una zorra", "pinche pendeja", "me cago en todo", "m*erda de servidor", "c4bron",
         "vaya pendejos", "culero de mierda", "es un malparido"],
        ["La computadora está en la oficina", "Hay una disputa sobre el contrato",
         "Su reputación es muy buena", "El pollo está delicioso", "Mañana vamos a la playa",
         "El concierto fue increíble", "Con mucho gusto", "Necesito la cuenta, por favor",
         "¿A qué hora es la reunión?", "El informe está listo para revisar",
         "Los imputados declararon ayer", "Hablamos con Putin en las noticias",
         "La cola es muy larga", "¡Feliz cumpleaños, Ana!", "Vamos a cenar pollo asado"],
    ),
    "fr": (
        ["putain de merde", "ta gueule connard", "quelle salope", "va te faire foutre",
         "espèce d'enculé", "fils de pute", "c'est de la merde", "ferme ta gueule",
         "sale pédé", "bande de connards", "nique ta mère", "quel bordel de merde", "m*rde alors",
         "putaiiin", "salaud"],
        ["Le concert commence à huit heures", "Il a une bonne connaissance du sujet",
         "Je vais acheter une salopette", "Merci beaucoup pour votre aide", "On se voit demain",
         "La réunion est reportée à jeudi", "Le chat dort sur le canapé", "Il fait beau à Paris",
         "J'ai une question sur la facture", "Les enfants jouent dans le parc",
         "Le contenu est disponible", "Cette bite de amarrage est solide", "On mange des crêpes",
         "Bonne journée à tous", "La conférence était passionnante"],
    ),
    "de": (
        ["du Arschloch", "so eine Scheiße", "verpiss dich", "halt die Fresse", "du Wichser",
         "Hurensohn", "scheißegal", "du dumme Schlampe", "blöde Fotze", "Scheisse, schon wieder",
         "du Spast", "du Missgeburt", "Arschlöcher alle", "Sch*iße", "fick dich"],
        ["Das Konzert war toll", "Ich habe einen Termin um drei", "Die Schwanzflosse des Fisches",
         "Er ist ein echter Spaßvogel", "Wir treffen uns morgen im Büro",
         "Die Rechnung ist bezahlt", "Das Wetter ist schön", "Kannst du mir helfen?",
         "Die Besprechung dauert eine Stunde", "Ich trinke gern Kaffee", "Der Bericht ist fertig",
         "Schönes Wochenende!", "Die Arche Noah", "Das ist ein Schimpfwort-Filter",
         "Der Zug hat Verspätung"],
    ),
    "pt": (
        ["vai se foder", "que porra é essa", "filho da puta", "caralho, de novo", "seu arrombado",
         "que merda", "sua vadia", "seu viado", "vai tomar no cu", "puta que pariu",
         "caralhooo", "foda-se", "seu otário", "que bosta", "c@ralho"],
        ["Ele fica em casa hoje", "A disputa foi resolvida", "Vou ao mercado amanhã",
         "A reunião começa às dez", "Obrigado pela ajuda", "O computador está lento",
         "Vamos almoçar juntos?", "O relatório está pronto", "Bom dia a todos",
         "A cidade é muito bonita", "O macaco subiu na árvore", "A rola é uma ave",
         "Preciso de uma caneta", "O jogo foi ótimo", "Feliz aniversário!"],
    ),
    "it": (
        ["vaffanculo", "che cazzo fai", "sei uno stronzo", "porca puttana", "testa di cazzo",
         "coglione", "che merda", "frocio di merda", "sei una troia", "minchia che caldo",
         "stronzi tutti", "cazzo", "c*zzo", "figlio di puttana", "che cazzata"],
        ["La guerra di Troia", "Vorrei un caffè, per favore", "Andiamo al cinema stasera",
         "Un'insalata di finocchio e arance", "La riunione è alle tre", "Grazie mille",
         "Il treno è in ritardo", "Buon compleanno!", "Il documento è pronto",
         "La cazzuola del muratore", "Ci vediamo domani", "Il gatto dorme",
         "Il progetto è finito", "Che bella giornata", "Stronzatura? no, struttura"],
    ),
    "ru": (
        ["иди нахуй", "пиздец какой-то", "сука блять", "ты мудак", "ебать ты лох",
         "охуеть", "заебал уже", "пидор", "что за хуйня", "бля, опять",
         "долбоёб", "ёбаный сервер", "шлюха", "похуй", "съебись отсюда"],
        ["Застрахуем машину завтра", "Он колебался долго", "Хлебать суп горячим",
         "Сукно высокого качества", "Мудрость приходит с годами", "Оскорблять нельзя",
         "Встреча начнётся в три часа", "Спасибо за помощь", "Хорошего дня",
         "Отчёт готов к проверке", "Погода сегодня отличная", "Я люблю читать книги",
         "Поезд опаздывает", "Кот спит на диване", "С днём рождения!"],
    ),
    "ja": (
        ["クソ野郎", "死ね", "このキチガイ", "ちんこ", "まんこ見せて", "くそったれ",
         "お前ガイジか", "ヤリマン", "消えろ", "ファック", "クソが", "畜生", "殺すぞ",
         "このビッチ", "チンポ"],
        ["約束は守ってください", "やくそくを守る", "ばかりです", "明日は雨です",
         "フェラーリは速い", "会議は三時からです", "ありがとうございます", "お疲れ様でした",
         "資料を確認してください", "今日はいい天気ですね", "ちょんまげの侍", "昼ご飯を食べましょう",
         "よろしくお願いします", "駅で待っています", "誕生日おめでとう"],
    ),
    "zh": (
        ["他妈的", "傻逼", "操你妈", "你去死吧", "王八蛋", "狗日的", "婊子", "草泥马",
         "傻屄一个", "鸡巴", "黑鬼", "贱人", "你妈的", "干你娘", "脑残"],
        ["我妈妈的书在桌子上", "体操比赛很精彩", "他逼迫我加班", "今日你好吗",
         "日本料理很好吃", "会议下午三点开始", "谢谢你的帮助", "明天见",
         "请确认一下资料", "今天天气很好", "我们一起吃午饭吧", "生日快乐",
         "报告已经准备好了", "火车晚点了", "小猫在睡觉"],
    ),
}


def other_languages():
    out = []
    for lang, (positives, negatives) in LANGS.items():
        out += [("deny", f"{lang}-offensive", t) for t in positives]
        out += [("pass", f"{lang}-clean", t) for t in negatives]
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: build_moderation.py labeled_data.csv (Davidson et al. 2017)")
    rows = davidson(sys.argv[1], 800) + english_positives() + english_negatives() + other_languages()
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        f.write("# label\tgroup\ttext — built by build_moderation.py; sources and licences in SOURCES.md\n")
        for label, group, text in rows:
            assert "\t" not in text and "\n" not in text, text
            f.write(f"{label}\t{group}\t{text}\n")
    print(f"{len(rows)} rows -> {OUT}")


if __name__ == "__main__":
    main()
