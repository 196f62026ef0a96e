#!/usr/bin/env python3
"""Builds the classifier's training file and the different-source evaluation set.

  python3 shared/chime-flow-core/eval/build_classifier.py \
      --davidson labeled_data.csv --templates en_sentence_templates.csv \
      --hatecheck test_suite_cases.csv --surge toxicity_en.csv

writes
  - target/classifier/train.tsv (label <TAB> text, not committed): what
    `cargo run --release -p chime-flow-core --example train_classifier` learns from —
      * Davidson et al. 2017 (MIT): every tweet NOT in moderation.tsv (those 2,400 are the held-out
        split, never trained on, never used to choose thresholds): hate or offensive by the majority
        -> deny, neither -> pass;
      * conversationai/unintended-ml-bias-analysis sentence templates (Apache-2.0): 8,000 rows,
        balanced, so that naming a group is not itself taken for offence ("Sulin is a nice muslim"
        passes, "Nithum is a vile sikh" does not);
      * written here (`written()`): hostility without a listed word (dehumanising comparisons,
        threats, exclusion, contempt) against groups and persons, the same groups in neutral and
        friendly sentences, speech against hate, and workplace chat whose words sound violent
        ("kill the process"). These cover kinds of offence HateCheck also tests: its figure is not
        from a distribution the training never approached (Surge AI's is the cleaner one);
  - shared/chime-flow-core/eval/external.tsv (label <TAB> group <TAB> text): sets from sources the
    model never saw —
      * hatecheck-*: HateCheck (Röttger et al. 2021, CC-BY-4.0), every test case, by functionality;
      * surge-*: Surge AI's toxicity set (MIT), 1,000 social-media comments, by label.

Sources, commits and licences: SOURCES.md. Sampling uses a fixed seed; the output is deterministic.
"""
import argparse
import csv
import random
from pathlib import Path

# The held-out split is found by its cleaned text: one cleaning for both scripts.
from build_moderation import clean

HERE = Path(__file__).parent
ROOT = HERE.parent.parent.parent
rng = random.Random(20261203)


def held_out_texts():
    texts = set()
    for line in (HERE / "moderation.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        label, group, text = line.split("\t")
        if group.startswith("davidson-"):
            texts.add(text)
    return texts


def davidson(path, held_out):
    out = []
    for r in csv.DictReader(open(path, encoding="utf-8")):
        text = clean(r["tweet"])
        if text in held_out or not text:
            continue
        out.append(("deny" if r["class"] in ("0", "1") else "pass", text))
    return out


def templates(path, n):
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    toxic = [r["phrase"] for r in rows if r["toxicity"] == "toxic"]
    clean_rows = [r["phrase"] for r in rows if r["toxicity"] == "nontoxic"]
    out = [("deny", clean(t)) for t in rng.sample(toxic, n // 2)]
    out += [("pass", clean(t)) for t in rng.sample(clean_rows, n // 2)]
    return out


GROUPS = ["women", "men", "immigrants", "refugees", "muslims", "jews", "christians", "black people",
          "white people", "asians", "mexicans", "arabs", "gay people", "lesbians", "trans people",
          "disabled people", "old people", "foreigners", "indians", "africans", "catholics", "atheists",
          "poor people", "single mothers", "nurses", "programmers"]
PERSONS = ["you", "your friend", "that guy", "she", "he", "your whole family", "people like you"]
ARE = {"you": "are", "she": "is", "he": "is", "that guy": "is", "your friend": "is"}

HOSTILE = [
    "{t} {are} animals", "{t} {are} vermin", "{t} {are} parasites", "{t} {are} a disease",
    "{t} {are} subhuman", "{t} {are} filth", "{t} {are} a plague on this country",
    "{t} {are} worthless", "{t} {are} disgusting", "{t} {are} too dumb to think",
    "{t} {are} a waste of air", "{t} {are} trash and always will be", "{t} should all die",
    "{t} don't deserve to live", "{t} should be wiped out", "{t} belong in cages",
    "{t} should be locked up for existing", "get rid of all {t}", "{t} need to be exterminated",
    "I want to hurt {t}", "I will kill {t}", "someone should shoot {t}", "I'm going to beat {t} up",
    "{t} will get what's coming to them", "watch your back, {t}", "{t} make me sick",
    "I can't stand {t}, they ruin everything", "{t} are not welcome here, get out",
    "go back to where you came from", "{t} should go back to their own country",
    "{t} are ruining our country", "never trust {t}", "{t} are all criminals", "{t} are all liars",
    "{t} can't be trusted with anything", "nobody wants {t} here", "{t} should shut up forever",
    "I hope {t} suffer", "{t} deserve to be beaten", "{t} are inferior", "{t} are less than human",
]
PERSONAL = [
    "you are worthless", "nobody likes you, just leave", "you should disappear forever",
    "you're a waste of space", "I hope you get hit by a bus", "I know where you live",
    "you are pathetic and everyone knows it", "you're too stupid to be here", "shut up, nobody asked you",
    "go die in a hole", "you ugly piece of garbage", "I will find you and hurt you",
    "you make me want to throw up", "crawl back under your rock", "you're a disgrace",
]
FRIENDLY = [
    "{t} {are} welcome here", "I love working with {t}", "many {t} live in this city",
    "we hired two {t} last year", "{t} deserve respect", "I am proud to stand with {t}",
    "the report about {t} is out", "there's a meetup for {t} on friday", "{t} {are} great",
    "my neighbours are {t}", "{t} have the same rights as everyone", "some {t} joined the team",
    "the documentary about {t} was moving", "{t} make this community better",
    "a survey of {t} shows rising wages", "{t} should be treated fairly", "I grew up with {t}",
    "we need more {t} in tech", "the history of {t} in this region is long",
    "{t} {are} not the problem", "{t} are people like anyone else",
]
COUNTER = [
    "saying {t} are animals is hateful", "it is wrong to call {t} vermin",
    "he wrote that {t} should die, I reported it", "calling {t} parasites is not ok",
    "stop saying {t} don't belong here", "the post that said '{t} are filth' was removed",
    "I can't believe someone said {t} are subhuman", "hate against {t} has no place here",
]
WORK_CHAT = [
    "kill the process and restart it", "the build is dead again", "shoot me an email when you're ready",
    "this bug is killing me", "execute the migration script tonight", "abort the deploy, the tests failed",
    "hit me up after lunch", "the demo bombed but we learned a lot", "let's nuke the cache",
    "the server died at 3am", "I'll attack the backlog tomorrow", "we crushed the quarterly goals",
    "drop the table in staging only", "that query is murdering the database", "terminate the old instances",
    "fire up the staging box", "can you review my pull request", "standup is moved to 10",
    "the ticket is blocked on legal", "thanks, that fixed it", "merging now", "lunch at noon?",
    "who owns the billing service", "the dashboard looks wrong", "I'm out sick today",
    "great job on the launch everyone", "please rebase on main", "the flaky test strikes again",
    "the cat knocked my coffee over", "happy friday all", "welcome to the team",
    "can someone hang the new poster", "we need to cut the scope", "the old API is dead, long live v2",
    "I could kill for a coffee", "that presentation slayed", "the printer is possessed again",
]


def written():
    out = []
    for template in HOSTILE:
        for t in GROUPS:
            out.append(("deny", template.format(t=t, are="are")))
        for t in PERSONS:
            out.append(("deny", template.format(t=t, are=ARE.get(t, "are"))))
    out += [("deny", t) for t in PERSONAL]
    for template in FRIENDLY + COUNTER:
        for t in GROUPS:
            out.append(("pass", template.format(t=t, are="are")))
    out += [("pass", t) for t in WORK_CHAT for _ in range(4)]
    return out


def hatecheck(path):
    out = []
    for r in csv.DictReader(open(path, encoding="utf-8")):
        label = "deny" if r["label_gold"] == "hateful" else "pass"
        out.append((label, "hatecheck-" + r["functionality"].replace("_", "-"), clean(r["test_case"])))
    return out


def surge(path):
    out = []
    for r in csv.DictReader(open(path, encoding="utf-8")):
        toxic = r["is_toxic"] == "Toxic"
        out.append(("deny" if toxic else "pass", "surge-toxic" if toxic else "surge-clean", clean(r["text"])))
    return out


def write(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(header + "\n")
        for row in rows:
            assert all("\t" not in c and "\n" not in c for c in row), row
            f.write("\t".join(row) + "\n")
    print(f"{len(rows)} rows -> {path}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--davidson", required=True, help="data/labeled_data.csv of t-davidson/hate-speech-and-offensive-language")
    p.add_argument("--templates", required=True, help="sentence_templates/en_sentence_templates.csv of conversationai/unintended-ml-bias-analysis")
    p.add_argument("--hatecheck", required=True, help="test_suite_cases.csv of paul-rottger/hatecheck-data")
    p.add_argument("--surge", required=True, help="toxicity_en.csv of surge-ai/toxicity")
    args = p.parse_args()
    train = davidson(args.davidson, held_out_texts()) + templates(args.templates, 8000) + written()
    rng.shuffle(train)
    write(ROOT / "target" / "classifier" / "train.tsv", "# label\ttext — built by build_classifier.py", train)
    external = hatecheck(args.hatecheck) + surge(args.surge)
    write(HERE / "external.tsv",
          "# label\tgroup\ttext — built by build_classifier.py from sources the classifier never saw; licences in SOURCES.md",
          external)


if __name__ == "__main__":
    main()
