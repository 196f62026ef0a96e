#!/usr/bin/env python3
"""Builds shared/chime-flow-core/eval/moderation.tsv, the labelled set `cargo run -p chime-flow-core --bin eval` scores.

Rows: label (deny|pass) <TAB> group <TAB> text. Sources (see SOURCES.md):
  - davidson-*: tweets from Davidson et al. 2017, "Automated Hate Speech Detection and the Problem of
    Offensive Language" (github.com/t-davidson/hate-speech-and-offensive-language, MIT). Only tweets
    every annotator agreed on: hate or offensive with no "neither" vote (deny), "neither" by all (pass).
  - chat-corpus: the English conversations of chatterbot-corpus 1.2.0 (PyPI, BSD-3-Clause), every
    distinct line — clean conversation written by others — except psychology.yml (a catalogue of
    accusations thrown at the bot: "you are a loser", "you are disgusting") and ai.yml's two lines
    calling it stupid: insults, not clean chat.
  - the rest: written for this set (evasions, inflections, compounds, other languages, near misses,
    code, URLs, names, workplace chat, mentions, hashtags, quoted reports, false friends), generated
    from templates below with a fixed seed.

Usage: python3 shared/chime-flow-core/eval/build_moderation.py /path/to/labeled_data.csv \
           /path/to/chatterbot_corpus-1.2.0-py2.py3-none-any.whl   (pip download chatterbot-corpus==1.2.0)
"""
import csv
import html
import zipfile
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


# Workplace chat, written for this set: what a team channel says all day, including words that sound
# violent or rude and are not ("kill the job", "this bug is murder").
CHAT = [
    "morning all, standup in 5", "can someone review PR 482 before lunch?", "the deploy is green, merging",
    "I'm blocked on the IAM role, who can help?", "kill the stuck job and rerun it", "the staging db died again",
    "grabbing coffee, back in 10", "does anyone have the link to the retro doc?", "great demo today, well done",
    "that bug was murder to track down", "let's punt this to next sprint", "can we nuke the old branch?",
    "I'll take the on-call shift this weekend", "ugh, the VPN dropped again", "who broke the build? (it was me, sorry)",
    "the client loved the mockups", "please don't push to main directly", "lunch order closes at 11:30",
    "the migration script is idempotent now", "thanks for covering for me yesterday", "see you all on Monday",
    "my kid is sick, working from home today", "the flaky test strikes again", "shoot me a message when it's live",
    "the new hire starts tomorrow, say hi", "which timezone is the workshop in?", "I love the new dashboard",
    "the printer on floor 3 is jammed", "we crushed the numbers this quarter", "the meeting ran over, sorry",
    "I can't find the design file", "did anyone order the pizza?", "the cat walked on my keyboard lol",
    "happy birthday Priya! 🎂", "congrats on the promotion!", "the release notes are in the wiki",
    "ping me if the alerts fire again", "I hate it when the tests time out", "this API is a pain to use",
    "the load test hammered the cache", "drop the temp tables after the run", "let's attack the backlog tomorrow",
    "the old service is dead, long live v2", "who owns the billing cron?", "the invoice went out this morning",
    "I think the config is wrong, not the code", "ok, rolling back", "rollback done, all good",
    "can you hang the new sign in the lobby?", "the espresso machine is broken again", "enjoy your holiday!",
    "the bug only happens on Safari", "I'll be late, train delays", "thanks, that fixed it",
    "let's cut the scope and ship", "the demo bombed but we learned a lot", "execute the runbook step 4",
    "the queue is backed up, scaling out", "is the war room still open?", "I'm dying to see the results",
    "what a nightmare of a merge", "the intern crushed it today", "ship it!", "lol same",
    "the shooting schedule for the video is Thursday", "we need to fire off the newsletter", "terminate the old instances",
    "the hotfix is out, please verify", "where do I file expense reports?", "can we move the 1:1 to Friday?",
    "the weather is terrible, stay safe driving in", "I left my charger in the meeting room", "good night everyone",
    "the dog ate my headphones", "my code is a mess, don't look", "honestly the docs are garbage, I'll rewrite them",
    "that's a killer feature", "I'm beat, logging off", "the screenshots are in the ticket",
    "please stop pinging me at 2am", "the vendor dropped the ball again", "let's bury that idea, it's dead",
]

# Context (see stages/moderation/context.rs): usernames and addresses are not the sender's words;
# hashtags are; a quoted word in a report is not an insult; a quote with no report is.
CONTEXT = [
    ("pass", "ctx-mention", "@dickson can you check the build?"),
    ("pass", "ctx-mention", "thanks @bigdick_energy for the review"),
    ("pass", "ctx-mention", "ping @assman about the invoice"),
    ("pass", "ctx-mention", "cc @hoedown42 and @cocktail_sam"),
    ("pass", "ctx-mention", "mail the report to j.slut@example.se"),
    ("pass", "ctx-mention", "@shitake_mushroom_fan the lunch order is in"),
    ("deny", "ctx-mention", "@sam you are a fucking idiot"),
    ("deny", "ctx-mention", "@dave shut up bitch"),
    ("deny", "ctx-mention", "@lee fuck off"),
    ("deny", "ctx-hashtag", "#fuckmondays"),
    ("deny", "ctx-hashtag", "this release is #bullshit"),
    ("deny", "ctx-hashtag", "#shitshow again today"),
    ("pass", "ctx-hashtag", "#scunthorpe united won today"),
    ("pass", "ctx-hashtag", "#cockpit upgrades are done"),
    ("pass", "ctx-hashtag", "#dickens festival this weekend"),
    ("pass", "ctx-quote", 'he called me a "faggot" in the lobby, can a mod help?'),
    ("pass", "ctx-quote", 'someone wrote "cunt" in #general, please remove it'),
    ("pass", "ctx-quote", 'is the word "bitch" on the blocked list?'),
    ("pass", "ctx-quote", "I was called a “whore” in the game chat and reported it"),
    ("pass", "ctx-quote", 'reporting user 42: they said "go fuck yourself" to a new member'),
    ("pass", "ctx-quote", 'the slur "nigger" was posted twice yesterday, screenshots attached'),
    ("deny", "ctx-quote", 'you are a "bitch"'),
    ("deny", "ctx-quote", '"fuck you"'),
    ("deny", "ctx-quote", 'what a "cunt" lol'),
    ("deny", "ctx-quote", 'he is a "faggot"'),
    ("deny", "ctx-quote", 'as I said before, "you are a worthless fucking whore"'),
    ("deny", "ctx-quote", 'you said "fuck off" so fuck you too'),
    ("deny", "ctx-quote", 'I was called a "bitch" by you, you "cunt"'),
    ("pass", "lang-false-friend", "hoe gaat het met je vandaag?"),
    ("pass", "lang-false-friend", "hoe laat begint de vergadering morgen?"),
    ("pass", "lang-false-friend", "weet jij hoe dit werkt?"),
    ("pass", "lang-false-friend", "Vi ses till slut i veckan, tack för allt"),
    ("pass", "lang-false-friend", "Till slut kom han hem igen efter resan"),
    ("pass", "lang-false-friend", "Hvilket fag liker du best på skolen?"),
    ("pass", "lang-false-friend", "Der Kuchen ist viel zu dick geworden"),
    ("pass", "lang-false-friend", "Das Buch ist sehr dick und schwer"),
    ("pass", "lang-false-friend", "Jag fick ett mejl från henne igår"),
    ("deny", "lang-false-friend", "fick dich"),
    ("deny", "lang-false-friend", "hoe"),
    ("deny", "lang-false-friend", "you are such a hoe"),
    ("deny", "lang-false-friend", "hoe gaat het, you dirty slut"),
    ("deny", "lang-false-friend", "ik vind je een vieze fag"),
    ("deny", "lang-false-friend", "jij bent een kut nigger"),
    ("deny", "lang-false-friend", "du bist so ein dick"),
]


CHATTERBOT_LEFT_OUT = {"Robots are stupid", "Are you stupid"}


def chatterbot(wheel):
    """Every distinct English line of chatterbot-corpus (YAML lists of conversations)."""
    lines, seen = [], set(t.lower() for t in CHATTERBOT_LEFT_OUT)
    with zipfile.ZipFile(wheel) as z:
        names = sorted(n for n in z.namelist() if "/data/english/" in n and n.endswith(".yml")
                       and not n.endswith("/psychology.yml"))
        for name in names:
            item = None
            for raw in z.read(name).decode("utf-8").splitlines() + ["- "]:
                m = re.match(r"^(?:- - |  - )(.*)$", raw)
                if m or raw.startswith("- "):
                    if item:
                        text = clean(item.strip().strip("'\"").replace("''", "'"))
                        if text and text.lower() not in seen and len(text) > 1:
                            seen.add(text.lower())
                            lines.append(text)
                    item = m.group(1) if m else None
                elif item is not None and raw.startswith("    "):
                    item += " " + raw.strip()
    return lines


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: build_moderation.py labeled_data.csv chatterbot_corpus-1.2.0-py2.py3-none-any.whl")
    rows = davidson(sys.argv[1], 800) + english_positives() + english_negatives() + other_languages()
    rows += [("pass", "chat-written", t) for t in CHAT]
    rows += [("pass", "chat-corpus", t) for t in chatterbot(sys.argv[2])]
    rows += CONTEXT
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        f.write("# label\tgroup\ttext — built by build_moderation.py; sources and licences in SOURCES.md\n")
        for label, group, text in rows:
            assert "\t" not in text and "\n" not in text, text
            f.write(f"{label}\t{group}\t{text}\n")
    print(f"{len(rows)} rows -> {OUT}")


if __name__ == "__main__":
    main()
