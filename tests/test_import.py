"""`kgen import` for STDD, FROSTER, ER-ZSAR and OST files, and the `descriptors` kind.

The fixtures (tests/fixtures/import/) are kgen's own small files in each released layout, with the
quirks the real files have.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from kgen.datasets import load_builtin
from kgen.importers.base import ClassMatcher, match_key
from kgen.importers.renames import RENAMES
from kgen.knowledge.askg import ASKGFile
from kgen.knowledge.descriptors import DescriptorsFile

FIXTURES = Path(__file__).parent / "fixtures" / "import"
STDD_ASKG = FIXTURES / "STDD" / "label_db" / "classes_ASKG_hmdb51.yml"
STDD_XPROMPT = FIXTURES / "STDD" / "label_db" / "classes_xprompt_hmdb51.yml"
FROSTER_K400 = FIXTURES / "FROSTER" / "label_rephrase" / "k400_rephrased_classes.json"
FROSTER_TXT = FIXTURES / "FROSTER" / "label_rephrase" / "k400_rephrased.txt"
FROSTER_B2N = FIXTURES / "FROSTER" / "zs_label_db" / "B2N_k400"
FROSTER_MINI = FIXTURES / "FROSTER" / "label_rephrase" / "mini_rephrased_classes.json"
ERZSAR_UCF = FIXTURES / "ER" / "datasets" / "UCF101" / "classes_label_defn.json"
OST_MINI = FIXTURES / "OST" / "descriptors" / "mini"
MINI = FIXTURES / "mini_classes.txt"


def _json(run_cli, *args: str) -> dict:
    result = run_cli("import", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _problems(report: dict, class_name: str | None) -> list[tuple[str, str]]:
    if class_name is None:
        return [(p["code"], p["action"]) for p in report["file_problems"]]
    found = next(c for c in report["classes"] if c["class_name"] == class_name)
    return [(p["code"], p["action"]) for p in found["problems"]]


def test_list_formats_and_help(run_cli) -> None:
    listed = run_cli("import", "--list-formats")
    assert listed.exit_code == 0
    for name in ("stdd-askg", "froster", "er-zsar", "ost"):
        assert name in listed.stdout
    assert "Example: kgen import" in run_cli("import", "--help").stdout
    assert "Example: kgen compare-knowledge" in run_cli("compare-knowledge", "--help").stdout


def test_stdd_imports_sound_entries_and_reports_every_quirk(run_cli, isolated_workspace: Path) -> None:
    report = _json(run_cli, "stdd-askg", str(STDD_ASKG), "--dataset", "hmdb51", "--source-ref", "abc1234")
    path = isolated_workspace / "knowledge" / "hmdb51" / "imported" / "stdd-askg" / "askg.json"
    assert report["path"] == str(path) and path.is_file()
    assert (path.parent / "askg.graphml").is_file() and (path.parent / "askg.nodelink.json").is_file()
    assert not (isolated_workspace / "knowledge" / "hmdb51" / "askg.json").exists()  # kgen's own file is untouched
    assert report["classes_imported"] == 5 and report["unmatched_names"] == ["juggling torches"]

    askg = ASKGFile.load(path)
    prov = askg.provenance
    assert prov.source == "imported" and prov.import_format == "stdd-askg" and prov.ref == "abc1234"
    assert prov.repository == "https://github.com/Mia-YatingYu/STDD"
    assert [(f.role, f.repo_path, f.sha256) for f in prov.files] == [
        ("askg", "label_db/classes_ASKG_hmdb51.yml", hashlib.sha256(STDD_ASKG.read_bytes()).hexdigest()),
        ("xprompt", "label_db/classes_xprompt_hmdb51.yml", hashlib.sha256(STDD_XPROMPT.read_bytes()).hexdigest()),
    ]

    brush = askg.for_class(0)
    assert brush is not None and brush.objects == ["comb", "hair", "hand"] and brush.label == "brush hair"
    assert "<comb, used for, styling hair>" not in [t.render() for t in brush.triples]  # "styling hair" is no listed object
    assert [p.text for p in brush.spatial][0] == "This is an example of brush hair, where a hand grips a comb."
    assert all(p.triple is None for p in brush.prompts) and len(brush.temporal) == 2
    assert set(_problems(report, "brush hair")) == {
        ("object-count", "kept"), ("sub-action-count", "kept"), ("unlisted-entity", "dropped"), ("spelling", "kept")}

    fall = askg.for_class(load_builtin("hmdb51").find_class("fall floor").id)
    assert fall is not None and fall.label == "falling to the floor" and fall.sub_actions == [] and not fall.temporal
    assert ("renamed", "renamed") in _problems(report, "fall floor") and ("no-sub-actions", "kept") in _problems(report, "fall floor")

    ride = askg.for_class(load_builtin("hmdb51").find_class("ride horse").id)
    assert ride is not None and 7 not in ride.objects and "7" not in ride.objects
    assert "<ride horse, uses, saddle>" in [t.render() for t in ride.triples]  # written as a YAML list: sound, kept
    ride_problems = _problems(report, "ride horse")
    for expected in [("malformed-object", "dropped"), ("malformed-triple", "dropped"), ("list-triple", "kept"), ("prompt-count", "kept")]:
        assert expected in ride_problems
    assert len(ride.spatial) == 8 and len(ride.temporal) == 6  # every released completion, none invented

    smile = askg.for_class(load_builtin("hmdb51").find_class("smile").id)
    assert smile is not None and smile.sub_actions == [] and ("no-sub-actions", "kept") in _problems(report, "smile")
    eat = next(c for c in report["classes"] if c["class_name"] == "eat")
    assert eat["texts"] == 0 and ("no-prompts", "kept") in _problems(report, "eat")


def test_stdd_finds_the_prompt_file_beside_either_file(run_cli) -> None:
    from_prompts = _json(run_cli, "stdd-askg", str(STDD_XPROMPT), "--dataset", "hmdb51", "--dry-run")
    assert [f["role"] for f in from_prompts["files"]] == ["askg", "xprompt"] and from_prompts["written"] == []


def test_froster_matches_renamed_and_capitalised_names(run_cli, isolated_workspace: Path) -> None:
    report = _json(run_cli, "froster", str(FROSTER_K400), "--dataset", "k400")
    k400 = load_builtin("k400")
    data = json.loads(Path(report["path"]).read_text())
    assert data["format"] == "kgen.action-descriptions" and data["provenance"]["source"] == "imported"
    names = [c["class_name"] for c in data["classes"]]
    assert names == ["abseiling", "barbequing", "driving car", "skiing (not slalom or crosscountry)", "swimming breast stroke"]
    driving = next(c for c in data["classes"] if c["class_name"] == "driving car")
    assert driving["label"] == "Driving a car" and driving["descriptions"] == ["A person steers a car along a street"]
    assert driving["class_id"] == k400.find_class("driving car").id
    assert _problems(report, "barbequing") == [("renamed", "renamed")]
    assert report["unmatched_names"] == ["Juggling chainsaws"]
    assert ("malformed-entry", "dropped") in _problems(report, None)


def test_froster_text_file_and_base_novel_halves(run_cli) -> None:
    text = _json(run_cli, "froster", str(FROSTER_TXT), "--dataset", "k400", "--variant", "froster-txt")
    data = json.loads(Path(text["path"]).read_text())
    assert data["classes"][0]["descriptions"] == ["Someone lowers themselves down a cliff on a rope. The rope is fixed at the top."]
    assert data["classes"][0]["label"] == "Abseiling"  # the quotes around the name are not part of it

    halves = _json(run_cli, "froster", str(FROSTER_B2N / "train_rephrased.json"), str(FROSTER_B2N / "test_rephrased.json"),
                   "--dataset", "k400", "--variant", "froster-b2n")
    assert halves["classes_imported"] == 3 and len(halves["files"]) == 2
    assert ("duplicate-class", "dropped") in _problems(halves, "abseiling")  # a second, different sentence: first kept
    data = json.loads(Path(halves["path"]).read_text())
    assert next(c for c in data["classes"] if c["class_name"] == "abseiling")["descriptions"] == [
        "Someone lowers themselves down a cliff on a rope"]


def test_er_zsar_reports_the_known_fault_and_long_texts(run_cli) -> None:
    report = _json(run_cli, "er-zsar", str(ERZSAR_UCF), "--dataset", "ucf101", "--source-ref", "v1.0")
    data = json.loads(Path(report["path"]).read_text())
    assert data["format"] == "kgen.descriptions" and data["provenance"]["ref"] == "v1.0"
    ucf = load_builtin("ucf101")
    by_name = {c["class_name"]: c for c in data["classes"]}
    assert set(by_name) == {"apply eye makeup", "hammer throw", "hammering", "handstand pushups", "body weight squats",
                            "table tennis shot", "yoyo"}
    assert by_name["hammering"]["class_id"] == ucf.find_class("hammering").id  # by name, not by the file's position
    assert by_name["hammering"]["refined"] == "strike something again and again with a hammer."
    assert by_name["yoyo"]["label"] == "yo yo" and by_name["yoyo"]["refined_rule"] == "imported"
    assert by_name["yoyo"]["texts"][0]["source"] == "imported"
    table_tennis = by_name["table tennis shot"]
    assert table_tennis["refined"].startswith("put (food)")  # kept as released, and flagged
    assert ("known-fault", "kept") in _problems(report, "table tennis shot") and table_tennis["problems"]
    assert ("over-77-tokens", "kept") in _problems(report, "body weight squats")
    assert report["unmatched_names"] == ["brush hair"]


def test_ost_by_index_with_sibling_file(run_cli, isolated_workspace: Path) -> None:
    report = _json(run_cli, "ost", str(OST_MINI / "temporal_descriptors" / "2_descriptors.json"),
                   "--classes", str(MINI), "--name", "mini")
    assert report["variant"] == "ost-n2" and [f["role"] for f in report["files"]] == ["spatial", "temporal"]
    path = isolated_workspace / "knowledge" / "mini" / "imported" / "ost-n2" / "descriptors.json"
    descriptors = DescriptorsFile.load(path)
    assert descriptors.n == 2 and descriptors.classes[2].class_name == "sweep floor"
    assert descriptors.classes[2].spatial == ["broom", "dusty floor"]
    texts = descriptors.bank_texts(load_builtin_or_mini())
    assert texts[1].texts == ["This is a video about three balls", "This is a video about hands in the air",
                              "A video of juggle usually includes Toss the first ball up.",
                              "A video of juggle usually includes Catch it while the next one rises."]
    assert texts[1].text_types == ["spatial", "spatial", "temporal", "temporal"]


def load_builtin_or_mini():
    from kgen.datasets import load_user_list

    return load_user_list(MINI, "mini")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("no-such-format", str(FROSTER_K400), "--dataset", "k400"), "unknown import format 'no-such-format'"),
        (("er-zsar", str(FROSTER_K400), "--dataset", "k400"), "not an ER-ZSAR definition file"),
        (("froster", str(ERZSAR_UCF), "--dataset", "ucf101"), "holds a list in JSON, not a FROSTER description file"),
        (("ost", str(FROSTER_MINI), str(FROSTER_MINI), "--classes", str(MINI)), "not every value is a list"),
        (("stdd-askg", str(STDD_XPROMPT), str(STDD_XPROMPT), "--dataset", "hmdb51"), "two xprompt files given"),
        (("er-zsar", str(STDD_ASKG), "--dataset", "hmdb51"), "is not JSON"),
        (("stdd-askg", str(ERZSAR_UCF), "--dataset", "ucf101"), "neither an STDD ASKG file nor an STDD xprompt file: it holds a list"),
        (("froster", str(FROSTER_K400), "--dataset", "hmdb51"), "does not match the classes of hmdb51"),
        (("stdd-askg", str(STDD_ASKG), "--dataset", "ucf101"), "does not match the classes of ucf101"),
        (("ost", str(OST_MINI / "spatio_descriptors" / "wrong_count_descriptors.json"),
          str(OST_MINI / "temporal_descriptors" / "2_descriptors.json"), "--classes", str(MINI)), "has 4 entries"),
        (("ost", str(OST_MINI / "spatio_descriptors" / "2_descriptors.json"), "--dataset", "ucf101"), "ucf101 has 101 classes"),
        (("froster", str(FROSTER_MINI), "--classes", str(MINI), "--variant", "kgen"), "cannot name an imported variant"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(run_cli, isolated_workspace: Path, args: tuple[str, ...], message: str) -> None:
    result = run_cli("import", *args)
    assert result.exit_code in (2, 3), result.stderr
    assert message in " ".join(result.stderr.split()), result.stderr
    assert not (isolated_workspace / "knowledge").exists()


def test_encode_imported_variants_and_compare(run_cli, isolated_workspace: Path) -> None:
    tiny = ("--model", "kgen-tiny-vit", "--pretrained", "random")
    mini = ("--classes", str(MINI), "--name", "mini")
    assert run_cli("import", "ost", str(OST_MINI / "spatio_descriptors" / "2_descriptors.json"), *mini).exit_code == 0
    assert run_cli("import", "froster", str(FROSTER_MINI), *mini).exit_code == 0
    descriptors = run_cli("encode-bank", *mini, "--kind", "descriptors", *tiny, "--json")  # the only variant: chosen
    assert descriptors.exit_code == 0, descriptors.stderr
    summary = json.loads(descriptors.stdout)
    assert summary["bank_id"].startswith("mini-descriptors-ost-n2-kgen-tiny-vit-random-") and summary["texts"] == 12
    assert summary["variant"] == "ost-n2"
    manifest = json.loads((Path(summary["path"]) / "manifest.json").read_text())
    assert manifest["knowledge"]["variant"] == "ost-n2" and manifest["knowledge"]["source"] == "imported"
    assert manifest["knowledge"]["file"] == "knowledge/mini/imported/ost-n2/descriptors.json"
    lines = (Path(summary["path"]) / "texts.jsonl").read_text().splitlines()  # bank format 2: texts beside the manifest
    assert [json.loads(line)["type"] for line in lines[:2]] == ["spatial", "spatial"]

    froster = run_cli("encode-bank", *mini, "--kind", "action-descriptions", "--variant", "froster", *tiny, "--json")
    assert froster.exit_code == 0, froster.stderr
    froster_bank = json.loads(froster.stdout)["bank_id"]
    assert froster_bank.startswith("mini-action-descriptions-froster-")
    assert "knowledge" in run_cli("bank", "info", froster_bank).stdout

    banks = run_cli("compare-knowledge", summary["bank_id"], froster_bank, "--json")
    assert banks.exit_code == 0, banks.stderr
    compared = json.loads(banks.stdout)
    assert compared["banks"] == [summary["bank_id"], froster_bank] and compared["summary"]["classes_in_both"] == 3
    assert all(-1.0 <= c["classifier_cosine"] <= 1.0 for c in compared["classes"])
    assert compared["classes"][0]["texts"] == {"a": {"count": 4, "mean_tokens": compared["classes"][0]["texts"]["a"]["mean_tokens"],
                                                      "max_tokens": compared["classes"][0]["texts"]["a"]["max_tokens"]},
                                               "b": compared["classes"][0]["texts"]["b"]}
    table = run_cli("compare-knowledge", summary["bank_id"], froster_bank)
    assert table.exit_code == 0 and "classifier cosine" in table.stdout


def test_compare_knowledge_files_counts_overlap(run_cli, isolated_workspace: Path) -> None:
    mini = ("--classes", str(MINI), "--name", "mini")
    spatial = str(OST_MINI / "spatio_descriptors" / "2_descriptors.json")
    assert run_cli("import", "ost", spatial, *mini).exit_code == 0
    assert run_cli("import", "ost", spatial, *mini, "--variant", "ost-copy").exit_code == 0
    folder = isolated_workspace / "knowledge" / "mini" / "imported"
    copy = folder / "ost-copy" / "descriptors.json"
    data = json.loads(copy.read_text())
    data["classes"][0]["spatial"] = ["Jugs", "a teapot"]  # "Jugs" is "jug" after normalisation
    copy.write_text(json.dumps(data))
    result = run_cli("compare-knowledge", str(folder / "ost-n2" / "descriptors.json"), str(copy), "--json")
    assert result.exit_code == 0, result.stderr
    compared = json.loads(result.stdout)
    pour = compared["classes"][0]
    assert pour["facets"]["spatial"] == {"a": 2, "b": 2, "shared": ["jug"], "jaccard": pytest.approx(1 / 3)}
    assert compared["classes"][1]["facets"]["spatial"]["jaccard"] == 1.0
    assert compared["summary"]["texts"] == {"a": 12, "b": 12}
    mixed = run_cli("compare-knowledge", str(copy), str(FROSTER_MINI))
    assert mixed.exit_code != 0


def test_variant_resolution(run_cli, isolated_workspace: Path) -> None:
    mini = ("--classes", str(MINI), "--name", "mini")
    spatial = str(OST_MINI / "spatio_descriptors" / "2_descriptors.json")
    run_cli("import", "ost", spatial, *mini)
    run_cli("import", "ost", spatial, *mini, "--variant", "other")
    result = run_cli("encode-bank", *mini, "--kind", "descriptors", "--model", "kgen-tiny-vit", "--pretrained", "random")
    assert result.exit_code == 2 and "2 imported variants: ost-n2, other" in result.stderr and "--variant" in result.stderr
    missing = run_cli("encode-bank", *mini, "--kind", "descriptors", "--variant", "nope", "--model", "kgen-tiny-vit", "--pretrained", "random")
    assert missing.exit_code == 2 and "no imported descriptors variant 'nope'" in missing.stderr
    own = run_cli("encode-bank", *mini, "--kind", "descriptors", "--variant", "kgen", "--model", "kgen-tiny-vit", "--pretrained", "random")
    assert own.exit_code == 2 and "no descriptors knowledge for mini" in own.stderr


def test_match_key_and_rename_tables() -> None:
    assert match_key("Driving a car") == match_key("driving car")
    assert match_key("hand stand pushups") == match_key("HandstandPushups") == match_key("handstand pushups")
    assert match_key("Skiing (not slalom or cross-country)") == match_key("skiing (not slalom or crosscountry)")
    # Every rename names a class of its dataset, and is needed (the match key alone does not find it).
    for format_name, datasets in RENAMES.items():
        for dataset_name, table in datasets.items():
            dataset = load_builtin(dataset_name)
            plain = ClassMatcher(dataset.classes)
            renamed = ClassMatcher(dataset.classes, table)
            for released, target in table.items():
                assert plain.match(released) is None, (format_name, released)
                found = renamed.match(released)
                assert found is not None and found.entry.name == target and found.renamed_from == released
    # No two classes of a built-in dataset share a match key (else they would match by exact name only).
    for name in ("hmdb51", "ucf101", "k400", "k600", "ssv2"):
        keys = [match_key(c.name) for c in load_builtin(name).classes]
        assert len(keys) == len(set(keys)), name


def test_reimport_says_when_it_replaces_other_content(run_cli, isolated_workspace: Path) -> None:
    mini = ("--classes", str(MINI), "--name", "mini")
    first = _json(run_cli, "froster", str(FROSTER_MINI), *mini)
    assert first["replaced"] is False
    assert _json(run_cli, "froster", str(FROSTER_MINI), *mini)["replaced"] is False  # the same content again
    path = Path(first["path"])
    data = json.loads(path.read_text())
    data["classes"][0]["descriptions"] = ["edited by hand"]
    path.write_text(json.dumps(data))
    again = run_cli("import", "froster", str(FROSTER_MINI), *mini)
    assert again.exit_code == 0 and "replaced an earlier froster import" in again.stderr
    assert json.loads(path.read_text())["classes"][0]["descriptions"] == ["Liquid flows from a jug into a glass"]


def test_compare_askg_facets_after_normalisation(run_cli, isolated_workspace: Path) -> None:
    from kgen.knowledge.compare import compare_knowledge

    assert run_cli("import", "stdd-askg", str(STDD_ASKG), "--dataset", "hmdb51").exit_code == 0
    path = isolated_workspace / "knowledge" / "hmdb51" / "imported" / "stdd-askg" / "askg.json"
    original = ASKGFile.load(path)
    edited = original.model_copy(deep=True)
    brush = edited.for_class(0)
    assert brush is not None
    brush.objects = ["the Combs", "Hands", "mirror"]  # comb and hand again, after normalisation; mirror is new
    brush.sub_actions = ["lifting the comb"]
    compared = compare_knowledge(original, edited, "a", "b")
    row = next(c for c in compared.classes if c.class_name == "brush hair")
    assert row.facets["objects"].a == 3 and row.facets["objects"].b == 3
    assert row.facets["objects"].shared == ["comb", "hand"] and row.facets["objects"].jaccard == pytest.approx(2 / 4)
    assert row.facets["sub-actions"].shared == ["lifting the comb"] and row.facets["sub-actions"].jaccard == pytest.approx(1 / 2)
    assert row.texts_a.count == row.texts_b.count == 7 and row.texts_a.max_tokens is not None
    assert "comb" in row.facets["keywords"].shared  # keywords of the prompt completions
    assert compared.sources[0].startswith("imported: stdd-askg (https://github.com/Mia-YatingYu/STDD")
