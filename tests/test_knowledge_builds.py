"""The four kinds, built through the CLI against a local OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import pytest
from openai_server import FakeOpenAIServer, Reply, answer_from_schema, request_schema

from kgen.cache import ResponseCache
from kgen.crawl.descriptions import ClassDescription, CrawlProvenance, DescriptionsFile
from kgen.datasets import resolve_dataset
from kgen.knowledge.base import load_knowledge
from kgen.text.clip_tokens import count_tokens

CLASSES = ["abseiling", "brush hair", "ride bike"]
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def classes_file(tmp_path: Path) -> Path:
    path = tmp_path / "mini.txt"
    path.write_text("\n".join(CLASSES) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def server():
    with FakeOpenAIServer() as running:
        yield running


def llm_args(server: FakeOpenAIServer) -> list[str]:
    return ["--base-url", server.base_url, "--model", "fake-model"]


def test_build_prompts_counts_tokens_and_prefix(run_cli, server, classes_file, isolated_workspace) -> None:
    long_sentence = (
        "The climber leans back over the edge of a tall cliff. She feeds the rope through a metal device at her waist "
        "with her gloved right hand. Her feet walk down the rock face in small steps."
    )

    def handler(req):
        schema = request_schema(req)
        value = answer_from_schema(schema, json.dumps(req["messages"]))
        value["environment"] = long_sentence
        value["clothing"] = "  a   harness ,helmet and gloves !!"
        return Reply(content=json.dumps(value))

    server.handler = handler
    result = run_cli("build-prompts", "--classes", str(classes_file), *llm_args(server))
    assert result.exit_code == 0, result.stderr
    assert server.count == 3 * len(CLASSES)  # one call per (class, LLM-prompt)
    knowledge = load_knowledge("mini", "prompts")
    dataset = resolve_dataset(None, classes_file)
    texts = knowledge.bank_texts(dataset)
    assert [len(t.texts) for t in texts] == [36, 36, 36]
    assert set(texts[0].text_types) == {"scene", "actor", "body"}
    for class_texts in texts:
        for text in class_texts.texts:
            assert text.startswith(f"a video of {class_texts.class_name}. ")
    entry = knowledge.classes[0]
    assert all(p.clip_tokens <= 30 and count_tokens(p.text) <= 30 for p in entry.prompts)
    environment = next(p for p in entry.prompts if p.attribute == "environment")
    assert environment.truncated and environment.text == (
        "The climber leans back over the edge of a tall cliff. She feeds the rope through a metal device at her waist "
        "with her gloved right hand."
    )
    clothing = next(p for p in entry.prompts if p.attribute == "clothing")
    assert clothing.text == "A harness, helmet and gloves!"
    graph_file = isolated_workspace / "knowledge" / "mini" / "attribute_graph.json"
    graph = nx.node_link_graph(knowledge.attribute_graph, edges="edges")
    assert graph_file.exists() and graph.number_of_nodes() == 1 + 3 + 12
    assert knowledge.provenance.backend == "openai" and knowledge.provenance.model == "fake-model"
    assert len(knowledge.provenance.prompts) == 3 and all(len(p.sha256) == 64 for p in knowledge.provenance.prompts)

    again = run_cli("build-prompts", "--classes", str(classes_file), *llm_args(server))
    assert again.exit_code == 0 and server.count == 9  # second run: zero calls
    assert "0 calls, 9 cached" in again.stderr


def test_pinned_attributes_and_replaced_llm_prompts(run_cli, server, classes_file, tmp_path) -> None:
    graph = {
        "format": "kgen.attribute-graph",
        "format_version": 1,
        "aspects": [
            {"name": "Scene", "attributes": [{"name": "place"}]},
            {"name": "Body", "attributes": [{"name": "legs"}, {"name": "arms"}]},
        ],
    }
    prompts = {
        "format": "kgen.llm-prompts",
        "format_version": 1,
        "system": "Be brief.",
        "prompts": [{"name": "only", "user": "Action {action}; attributes:\n{attribute_list}"}],
    }
    (tmp_path / "g.json").write_text(json.dumps(graph))
    (tmp_path / "p.json").write_text(json.dumps(prompts))
    result = run_cli(
        "build-prompts", "--classes", str(classes_file), "--attributes", str(tmp_path / "g.json"),
        "--llm-prompts", str(tmp_path / "p.json"), *llm_args(server),
    )
    assert result.exit_code == 0, result.stderr
    assert server.count == 3
    sent = {r["messages"][1]["content"] for r in server.requests}
    assert "Action abseiling; attributes:\n- place\n- legs\n- arms" in sent
    knowledge = load_knowledge("mini", "prompts")
    assert knowledge.prompts_per_class == 3 and len(knowledge.classes[0].prompts) == 3


def test_propose_attributes_asks_once_per_aspect(run_cli, server, classes_file) -> None:
    def handler(req):
        user = req["messages"][-1]["content"]
        for aspect in ("Scene", "Actor", "Body"):
            if f"Consider the aspect {aspect}" in user:
                return Reply(content=json.dumps({"items": [f"{aspect.lower()} trait {i}" for i in range(4)]}))
        return Reply(content=json.dumps(answer_from_schema(request_schema(req), user)))

    server.handler = handler
    result = run_cli("build-prompts", "--classes", str(classes_file), "--propose-attributes", *llm_args(server))
    assert result.exit_code == 0, result.stderr
    assert server.count == 3 + 3 * len(CLASSES)
    knowledge = load_knowledge("mini", "prompts")
    assert [a.name for a in knowledge.aspects] == ["Scene", "Actor", "Body"]
    assert [len(a.attributes) for a in knowledge.aspects] == [4, 4, 4]


def test_build_askg_graph_and_prompts(run_cli, server, classes_file, isolated_workspace) -> None:
    def handler(req):
        user = req["messages"][-1]["content"]
        schema = request_schema(req)
        if "most relevant objects" in user and "drinking beer" not in user:
            return Reply(content=json.dumps({"items": ["the Ropes", "harness", "Helmet", "gloves", "cliff"]}))
        if "most relevant sub-actions" in user:
            return Reply(content=json.dumps({"items": ["clip in", "lean back", "walk down", "land", "unclip"]}))
        if "Try to complete the whole sentence" in user:
            keys = list(schema["properties"])
            value = {k: f"This is an example of abseiling, the climber uses the {k.split(',')[0].strip('<')} carefully." for k in keys}
            return Reply(content=json.dumps(value))
        return Reply(content=json.dumps(answer_from_schema(schema, user)))

    server.handler = handler
    result = run_cli("build-askg", "--classes", str(classes_file), *llm_args(server))
    assert result.exit_code == 0, result.stderr
    repairs = [r["messages"][-1]["content"] for r in server.requests if r["messages"][-1]["content"].startswith("Your answer")]
    assert not repairs, repairs
    assert server.count == 7 * len(CLASSES)
    knowledge = load_knowledge("mini", "askg")
    entry = knowledge.classes[0]
    assert entry.objects == ["the ropes", "harness", "helmet", "gloves", "cliff"]
    assert 5 <= len(entry.objects) <= 10
    kinds = {t.kind for t in entry.triples}
    assert kinds == {"object-object", "action-object", "action-action"}
    chain = [(t.subject, t.object) for t in entry.triples if t.kind == "action-action"]
    assert chain == [
        ("abseiling", "clip in"), ("clip in", "lean back"), ("lean back", "walk down"), ("walk down", "land"), ("land", "unclip")
    ]
    assert {p.type for p in entry.prompts} == {"spatial", "temporal"}
    assert len(entry.temporal) == 5
    for prompt in entry.prompts:
        assert prompt.text.startswith("This is an example of abseiling, the climber uses the ")
        assert prompt.text.count("This is an example of") == 1
    texts = knowledge.bank_texts(resolve_dataset(None, classes_file))
    assert texts[0].text_types == ["spatial"] * len(entry.spatial) + ["temporal"] * 5

    folder = isolated_workspace / "knowledge" / "mini"
    graph = nx.read_graphml(folder / "askg.graphml")
    assert graph.nodes["action:abseiling"]["type"] == "action"
    # "the ropes" of every class is one shared concept node "rope"
    assert graph.nodes["object:rope"]["class_count"] == len(CLASSES)
    assert all("predicate" in data for _, _, data in graph.edges(data=True))
    nodelink = json.loads((folder / "askg.nodelink.json").read_text())
    assert len(nodelink["edges"]) == graph.number_of_edges()


def test_askg_relations_without_a_usable_predicate_fall_back_on_the_closed_vocabulary(run_cli, server, classes_file) -> None:
    from kgen.generate.relation_vocabulary import relation_vocabulary
    def predicate_of(node):  # the first listed predicate under a closed schema, else a single letter
        return node.get("enum", ["j"])[0]  # (letter soup is rejected for the embedded backend only)

    def handler(req):
        user = req["messages"][-1]["content"]
        schema = request_schema(req)
        if "most relevant objects" in user:
            return Reply(content=json.dumps({"items": ["rope", "harness", "helmet", "gloves", "cliff"]}))
        if "most relevant sub-actions" in user:
            return Reply(content=json.dumps({"items": ["clip in", "lean back", "walk down", "land", "unclip"]}))
        if any("Find the proper predicate" in m["content"] for m in req["messages"]):  # repairs too
            props = schema["properties"]
            if "triples" in props:
                triple, count = props["triples"]["items"]["properties"], props["triples"]["minItems"]
                entities = triple["subject"]["enum"]
                value = {"triples": [
                    {"subject": entities[i], "predicate": predicate_of(triple["predicate"]), "object": entities[i + 1]}
                    for i in range(count)
                ]}
            else:
                value = {key: predicate_of(node) for key, node in props.items()}
            return Reply(content=json.dumps(value))
        return Reply(content=json.dumps(answer_from_schema(schema, user)))

    server.handler = handler
    result = run_cli("build", "askg", "--classes", str(classes_file), *llm_args(server))
    assert result.exit_code == 0, result.stderr
    assert f"{3 * len(CLASSES)} fell back on a closed vocabulary" in result.stderr, result.stderr
    vocabulary = relation_vocabulary()
    for entry in load_knowledge("mini", "askg").classes:
        by_kind = {kind: {t.predicate for t in entry.triples if t.kind == kind} for kind in ("object-object", "action-object", "action-action")}
        assert by_kind == {"object-object": {vocabulary.object_object[0]}, "action-object": {vocabulary.action_object[0]},
                           "action-action": {vocabulary.action_action[0]}}, by_kind


def test_askg_rejects_k_outside_5_to_10(run_cli, classes_file) -> None:
    result = run_cli("build-askg", "--classes", str(classes_file), "--k-max", "12", "--base-url", "http://127.0.0.1:9/v1", "--model", "m")
    assert result.exit_code == 2 and "5 <= --k-min <= --k-max <= 10" in result.stderr


def write_descriptions(
    dataset_name: str, classes_file: Path, skip: set[str] = frozenset(), texts: dict[str, str] | None = None
) -> None:
    dataset = resolve_dataset(None, classes_file)
    texts = texts or {}
    entries = [
        ClassDescription(
            class_id=c.id, class_name=c.name, label=c.label,
            refined="" if c.name in skip else texts.get(c.name, f"{c.name.capitalize()} is an activity. People do {c.name} with care."),
        )
        for c in dataset.classes
    ]
    from kgen import paths

    folder = paths.knowledge_dir(dataset_name)
    folder.mkdir(parents=True, exist_ok=True)
    DescriptionsFile(dataset=dataset_name, provenance=CrawlProvenance(), classes=entries).save(folder / "descriptions.json")


ABSEILING = "Abseiling is a controlled descent of a cliff or the rock on a rope, held by a harness."
BRUSHING = "Brushing hair: strokes of a hairbrush or a comb through the hair to the scalp, often at a mirror."


def test_build_attributes_prompt_and_sentence_to_the_letter(run_cli, server, classes_file) -> None:
    write_descriptions("mini", classes_file, skip={"ride bike"}, texts={"abseiling": ABSEILING, "brush hair": BRUSHING})
    server.script(
        Reply(content=json.dumps({"items": ["rope", "harness", "cliff", "descent", "the rock"]})),
        Reply(content=json.dumps({"items": ["the hairbrush", "strokes", "scalp", "hair", "Strokes", "a mirror", "comb"]})),
        Reply(content=json.dumps({"items": ["bicycle", "pedals", "road", "helmet", "wheels"]})),
    )
    result = run_cli("build-attributes", "--classes", str(classes_file), "--top-n", "4", "--concurrency", "1", *llm_args(server))
    assert result.exit_code == 0, result.stderr
    assert server.count == 3
    # "ride bike" has no crawled description: its keywords come from the action's name alone
    assert server.requests[2]["messages"][-1]["content"].startswith('Extract 5-10 essential keywords from "ride bike"')
    first = server.requests[0]
    assert first["temperature"] == 0.7 and first["max_tokens"] == 256
    assert first["messages"][-1]["content"] == (
        f'Extract 5-10 essential keywords from "{ABSEILING}" that best '
        "describe the action abseiling in the paragraph. Focus on objects, motions, and contexts related to the action."
    )
    knowledge = load_knowledge("mini", "attributes")
    brush = next(c for c in knowledge.classes if c.class_name == "brush hair")
    assert brush.candidates == ["hairbrush", "strokes", "scalp", "hair", "mirror", "comb"]
    assert knowledge.sentence(brush) == "This is a video about brush hair, hairbrush, strokes, scalp, hair."
    assert brush.description_source == "crawl"
    bike = next(c for c in knowledge.classes if c.class_name == "ride bike")
    assert bike.description_source == "class-name" and bike.candidates[:2] == ["bicycle", "pedals"]
    texts = knowledge.bank_texts(resolve_dataset(None, classes_file))
    assert [t.class_name for t in texts] == ["abseiling", "brush hair", "ride bike"]
    descriptions = load_knowledge("mini", "descriptions").bank_texts(resolve_dataset(None, classes_file))
    assert descriptions[2].texts == ["ride bike"]  # no definition: the name alone (with a warning)
    assert descriptions[0].texts == [f"abseiling: {ABSEILING}"]


def test_keywords_are_taken_from_the_description_else_chosen_from_its_words(run_cli, server, classes_file) -> None:
    """Keywords from nowhere ("carrot" for abseiling) are asked again; when the free answers keep
    failing, the keywords are chosen from the description's words (an enum). A description of few
    words is asked for as many keywords as it has words."""
    short = "Descend a cliff on a rope."
    write_descriptions("mini", classes_file, texts={"abseiling": short, "brush hair": BRUSHING}, skip={"ride bike"})

    def handler(req):
        user = req["messages"][-1]["content"]
        if "Choose each keyword from this list" in user:
            schema = request_schema(req)["properties"]["items"]
            return Reply(content=json.dumps({"items": schema["items"]["enum"][: schema["minItems"]]}))
        return Reply(content=json.dumps({"items": ["carrot", "gadget", "johnny", "tiger", "lion"]}))

    server.handler = handler
    result = run_cli("build-attributes", "--classes", str(classes_file), "--concurrency", "1", *llm_args(server))
    assert result.exit_code == 0, result.stderr
    asked = [r for r in server.requests if short in r["messages"][-1]["content"]]
    first = request_schema(asked[0])["properties"]["items"]
    assert first["minItems"] == 4 and "enum" not in first["items"]  # descend, cliff, rope, abseiling
    chosen = request_schema(asked[-1])["properties"]["items"]
    assert chosen["items"]["enum"] == ["descend", "cliff", "rope", "abseiling"]
    assert "Choose each keyword from this list of the paragraph's words: descend, cliff, rope, abseiling." in (
        asked[-1]["messages"][-1]["content"]
    )
    knowledge = load_knowledge("mini", "attributes")
    abseiling, brushing, bike = knowledge.classes
    assert abseiling.keywords == ["descend", "cliff", "rope", "abseiling"]
    assert brushing.keywords == ["brushing", "hair", "strokes", "hairbrush", "comb"]
    # no description: the name alone, the model's own knowledge, unchecked
    assert bike.description_source == "class-name" and bike.keywords == ["carrot", "gadget", "johnny", "tiger", "lion"]


def test_build_attributes_without_descriptions_says_to_crawl(run_cli, server, classes_file) -> None:
    result = run_cli("build-all", "--classes", str(classes_file), *llm_args(server))
    assert result.exit_code == 2 and "kgen crawl" in result.stderr
    assert server.count == 0  # stopped before any call


def test_build_descriptions_template(run_cli, server, classes_file) -> None:
    server.handler = lambda req: Reply(content=json.dumps({"items": ["Abseiling: This video shows a person descending a cliff on a rope"]}))
    result = run_cli("build-descriptions", "--classes", str(classes_file), *llm_args(server))
    assert result.exit_code == 0, result.stderr
    texts = load_knowledge("mini", "action-descriptions").bank_texts(resolve_dataset(None, classes_file))
    assert texts[0].texts == ["a video of abseiling. Abseiling: This video shows a person descending a cliff on a rope."]
    assert all(count_tokens(t) <= 75 for c in texts for t in c.texts)


def test_failed_classes_are_reported_written_partially_and_filled_in_by_the_next_run(run_cli, server, classes_file) -> None:
    def handler(req):
        if '"brush hair"' in req["messages"][-1]["content"]:
            return Reply(content="I'm sorry, but I can't help with that.")
        return Reply(content=json.dumps({"items": ["This video shows someone doing it."]}))

    server.handler = handler
    result = run_cli("build-descriptions", "--classes", str(classes_file), *llm_args(server))
    assert result.exit_code == 5
    assert "1 class(es) failed" in result.stderr and "brush hair" in result.stderr and "refused" in result.stderr
    assert "3 calls" in result.stderr and "1 failed" in result.stderr
    knowledge = load_knowledge("mini", "action-descriptions")
    assert [c.class_name for c in knowledge.classes] == ["abseiling", "ride bike"]

    server.handler = lambda req: Reply(content=json.dumps({"items": ["This video shows hair being brushed."]}))
    again = run_cli("build-descriptions", "--classes", str(classes_file), *llm_args(server))
    assert again.exit_code == 0 and server.count == 4  # only the failed class was asked again
    assert len(load_knowledge("mini", "action-descriptions").classes) == 3


def test_show_prints_one_class(run_cli, server, classes_file) -> None:
    assert run_cli("build-descriptions", "--classes", str(classes_file), *llm_args(server)).exit_code == 0
    shown = run_cli("show", "action-descriptions", "--classes", str(classes_file), "--class", "brush hair")
    assert shown.exit_code == 0 and "a video of brush hair. Brush hair:" in shown.stdout
    missing = run_cli("show", "askg", "--classes", str(classes_file), "--class", "brush hair")
    assert missing.exit_code == 2 and "no askg knowledge" in missing.stderr


def test_openai_backend_needs_a_model(run_cli, classes_file, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_MODEL", raising=False)
    result = run_cli("build", "action-descriptions", "--classes", str(classes_file), "--base-url", "http://127.0.0.1:9/v1")
    assert result.exit_code == 2 and "--llm-model" in result.stderr


@pytest.mark.slow
def test_killed_run_resumes_with_only_the_missing_calls(tmp_path, classes_file, isolated_workspace) -> None:
    names = [f"action {i}" for i in range(12)]
    classes_file.write_text("\n".join(names) + "\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with FakeOpenAIServer(latency_s=0.25) as server:
        server.handler = lambda req: Reply(content=json.dumps({"items": ["This video shows a person doing it."]}))
        command = [
            sys.executable, "-m", "cli", "build-descriptions", "--classes", str(classes_file),
            "--concurrency", "1", *llm_args(server),
        ]
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while server.count < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed_after = server.count
        assert 4 <= killed_after < len(names)
        assert not (isolated_workspace / "knowledge" / "mini" / "action_descriptions.json").exists()
        with ResponseCache() as cache:
            stored = cache.count_by_namespace().get("llm", 0)
        assert stored >= killed_after - 1

        rerun = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        assert server.count - killed_after == len(names) - stored
        assert f"{stored} cached" in rerun.stderr
    assert len(load_knowledge("mini", "action-descriptions").classes) == len(names)


def test_build_all_runs_the_kinds_at_once_and_counts_each_kind_apart(run_cli, classes_file) -> None:
    write_descriptions("mini", classes_file)

    def handler(req):
        user = req["messages"][-1]["content"]
        if "most relevant objects" in user:
            return Reply(content=json.dumps({"items": ["rope", "harness", "helmet", "gloves", "cliff"]}))
        return Reply(content=json.dumps(answer_from_schema(request_schema(req), user)))

    with FakeOpenAIServer(handler=handler, latency_s=0.3) as server:
        result = run_cli("build-all", "--classes", str(classes_file), "-j", "64", *llm_args(server))
        assert result.exit_code == 0, result.stderr
        # first requests of all four kinds in flight together: 9 prompts + 6 askg + 3 + 3
        assert server.max_in_flight >= 15, server.max_in_flight
    text = " ".join(result.stderr.split())
    for kind, calls in [("prompts", 9), ("askg", 21), ("attributes", 3), ("action-descriptions", 3)]:
        assert f"{kind} LLM usage: {calls} calls, 0 cached, {len(CLASSES) if kind not in ('prompts', 'askg') else calls} answered" in text
    assert "LLM usage (all kinds): 36 calls" in text


def test_askg_objects_that_are_one_key_do_not_stop_the_run(run_cli, server, classes_file) -> None:
    """'pick a pick' and 'pick-a-pick' are distinct concepts to the object list but one key of the
    relation questions: the second is dropped, and the build goes on (it used to stop with a traceback)."""

    def handler(req):
        user = req["messages"][-1]["content"]
        if "most relevant objects" in user:
            return Reply(content=json.dumps({"items": ["pick a pick", "pick-a-pick", "rope", "harness", "helmet", "cliff"]}))
        return Reply(content=json.dumps(answer_from_schema(request_schema(req), user)))

    server.handler = handler
    result = run_cli("build", "askg", "--classes", str(classes_file), *llm_args(server))
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    for entry in load_knowledge("mini", "askg").classes:
        assert [o for o in entry.objects if "pick" in o] == ["pick a pick"], entry.objects


def test_askg_completions_that_only_restate_the_action_make_no_prompt(run_cli, server, classes_file) -> None:
    """"This is an example of clap, 3." and "... of chew, chew." say nothing: no prompt is made of
    them (no call is spent on them either)."""

    def handler(req):
        user = req["messages"][-1]["content"]
        schema = request_schema(req)
        if "Try to complete the whole sentence" in user:
            keys = list(schema["properties"])
            action = next(c for c in CLASSES if f"example of {c}," in user)
            junk = {keys[0]: "3", keys[1]: f"This is an example of {action}, {action.title()}."}
            return Reply(content=json.dumps({k: junk.get(k, f"the climber holds the {k} rope") for k in keys}))
        return Reply(content=json.dumps(answer_from_schema(schema, user)))

    server.handler = handler
    result = run_cli("build-askg", "--classes", str(classes_file), *llm_args(server))
    assert result.exit_code == 0, result.stderr
    for entry in load_knowledge("mini", "askg").classes:
        spatial_triples = sum(1 for t in entry.triples if t.prompt_type == "spatial")
        temporal_triples = sum(1 for t in entry.triples if t.prompt_type == "temporal")
        # the first two completions of each sentences question were junk
        assert len(entry.spatial) == spatial_triples - 2 and len(entry.temporal) == temporal_triples - 2
        assert all("holds the" in p.clause for p in entry.prompts)


def test_askg_sentence_answers_get_room_for_every_completion(run_cli, server, classes_file) -> None:
    """A sentences question over many triples gets the tokens its answer may need at its bound (768
    cut a 15-triple answer short), capped so that it fits one embedded llama.cpp slot."""
    objects = ["rope", "harness", "helmet", "cliff", "chalk", "shoe", "bag", "pin", "belt", "glove"]

    def handler(req):
        user = req["messages"][-1]["content"]
        if "most relevant objects" in user:
            return Reply(content=json.dumps({"items": objects}))
        return Reply(content=json.dumps(answer_from_schema(request_schema(req), user)))

    server.handler = handler
    result = run_cli("build", "askg", "--classes", str(classes_file), *llm_args(server))
    assert result.exit_code == 0, result.stderr
    sentences = [r for r in server.requests if "Try to complete the whole sentence" in r["messages"][-1]["content"]]
    assert sentences
    for body in sentences:
        keys = len(request_schema(body)["required"])
        assert body["max_tokens"] == min(1280, max(768, 32 + 60 * keys)), (keys, body["max_tokens"])
    assert max(r["max_tokens"] for r in sentences) > 768  # ten objects' triples: more than 12 to complete
