import json

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.cross_validation import FILE_NAME as CROSS_VALIDATION_FILE
from bot.nlu.linear_classifier import LinearIntentClassifier

# Three intents over a vocabulary of six n-grams; each intent owns two of them.
_BAGS = {
    "faq_tam_tru": [[3, 1, 0, 0, 0, 0], [1, 2, 0, 0, 0, 1], [2, 2, 0, 0, 0, 0]],
    "faq_khai_sinh": [[0, 0, 2, 1, 0, 0], [0, 1, 1, 3, 0, 0], [0, 0, 1, 1, 0, 0]],
    "greet": [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 2, 1], [1, 0, 0, 0, 1, 2]],
}


def _message(bag: list[int], intent: str | None = None) -> Message:
    data = {TEXT: "x"} | ({"intent": intent} if intent else {})
    features = Features(scipy.sparse.coo_matrix(np.array([bag], dtype=float)), FEATURE_TYPE_SENTENCE, TEXT, "test")
    return Message(data=data, features=[features])


def _training_data(extra: list[Message] = ()) -> TrainingData:
    examples = [_message(bag, intent) for intent, bags in _BAGS.items() for bag in bags]
    return TrainingData(training_examples=[*examples, *extra])


@pytest.fixture
def classifier(tmp_path):
    def make(name: str = "clf", **config) -> LinearIntentClassifier:
        return LinearIntentClassifier.create(
            {**LinearIntentClassifier.get_default_config(), **config},
            LocalModelStorage(tmp_path), Resource(name), ExecutionContext(GraphSchema({}), "test"),
        )
    return make


def _load(storage_dir) -> LinearIntentClassifier:
    """The component saved as "clf" under `storage_dir`, as Rasa loads it."""
    return LinearIntentClassifier.load(
        LinearIntentClassifier.get_default_config(), LocalModelStorage(storage_dir), Resource("clf"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def _ranking(component: LinearIntentClassifier, bag: list[int]) -> list[tuple[str, float]]:
    (message,) = component.process([_message(bag)])
    return [(r["name"], r["confidence"]) for r in message.get("intent_ranking")]


def test_counts_are_log_scaled_and_each_message_has_unit_length(classifier):
    (row,) = classifier()._create_X([_message([4, 0, 1, 0, 0, 0])]).toarray()
    expected = np.array([1 + np.log(4), 0, 1, 0, 0, 0])
    assert row == pytest.approx(expected / np.linalg.norm(expected))


def test_each_featurizers_block_has_unit_length_times_its_weight(classifier):
    blocks = [Features(scipy.sparse.coo_matrix(np.array([bag], dtype=float)), FEATURE_TYPE_SENTENCE, TEXT, origin)
              for bag, origin in (([3, 4], "words"), ([1, 1, 1, 1, 1, 1, 1, 1, 1], "characters"))]
    (row,) = classifier(featurizer_weights=[0.5])._create_X([Message(data={TEXT: "x"}, features=blocks)]).toarray()
    words = np.array([1 + np.log(3), 1 + np.log(4)])
    expected = np.concatenate([0.5 * words / np.linalg.norm(words), np.full(9, 1 / 3)])
    assert row == pytest.approx(expected / np.linalg.norm(expected))
    # the nine character n-grams weigh as much as the two words would at weight 1, not 4.5 times more
    assert np.linalg.norm(row[2:]) == pytest.approx(2 * np.linalg.norm(row[:2]))


def test_a_message_said_twice_over_is_the_same_message(classifier):
    component = classifier()
    component.train(_training_data())
    assert _ranking(component, [2, 2, 0, 0, 0, 0]) == pytest.approx(_ranking(component, [4, 4, 0, 0, 0, 0]))


def test_the_same_data_trains_the_same_model(classifier):
    first, second = classifier("a"), classifier("b")
    first.train(_training_data())
    second.train(_training_data())
    assert np.array_equal(first.clf.coef_, second.clf.coef_)


def test_training_reaches_the_optimum_whatever_the_order_of_the_examples(classifier):
    first, reordered = classifier("a"), classifier("b")
    first.train(_training_data())
    data = _training_data()
    reordered.train(TrainingData(training_examples=list(reversed(data.training_examples))))
    assert first.clf.tol <= 1e-6 and first.clf.n_iter_[0] < first.clf.max_iter
    assert np.allclose(first.clf.coef_, reordered.clf.coef_, atol=1e-3)


def test_c_is_a_setting(classifier):
    assert classifier(C=3).clf.C == 3.0
    assert classifier().clf.C == 100.0


def test_the_trained_model_survives_saving_and_loading(classifier, tmp_path):
    component = classifier()
    component.train(_training_data())
    loaded = _load(tmp_path)
    assert _ranking(loaded, [0, 1, 1, 3, 0, 0]) == pytest.approx(_ranking(component, [0, 1, 1, 3, 0, 0]))
    assert _ranking(loaded, [0, 1, 1, 3, 0, 0])[0][0] == "faq_khai_sinh"


def test_one_added_question_leaves_the_other_intents_nearly_where_they_were(classifier):
    before, after = classifier("a"), classifier("b")
    before.train(_training_data())
    after.train(_training_data([_message([2, 1, 0, 0, 0, 0], "faq_tam_tru")]))
    for bag in ([0, 0, 1, 2, 0, 0], [0, 0, 0, 0, 1, 2]):
        assert _ranking(after, bag)[0][0] == _ranking(before, bag)[0][0]
        assert _ranking(after, bag)[0][1] == pytest.approx(_ranking(before, bag)[0][1], abs=0.02)


def test_a_message_without_features_gets_a_ranking_not_an_error(classifier):
    component = classifier()
    component.train(_training_data())
    (message,) = component.process([Message(data={TEXT: "???"})])
    assert {r["name"] for r in message.get("intent_ranking")} == set(_BAGS)


def _texts_training_data() -> TrainingData:
    """_BAGS with a distinct text per question: a question's fold comes from its text."""
    examples = []
    for intent, bags in _BAGS.items():
        for n, bag in enumerate(bags * 3):
            message = _message(bag, intent)
            message.set(TEXT, f"{intent} {n}")
            examples.append(message)
    return TrainingData(training_examples=examples)


def test_every_training_question_is_ranked_by_a_model_that_did_not_see_it(classifier, tmp_path):
    component = classifier()
    component.train(_texts_training_data())

    held_out = component.held_out
    assert [h["text"] for h in held_out] == [e.get(TEXT) for e in _texts_training_data().training_examples]
    assert all(h["intent"] == h["text"].split()[0] for h in held_out)
    assert sum(h["ranking"][0][0] == h["intent"] for h in held_out) >= len(held_out) - 2
    saved = json.loads((tmp_path / "clf" / CROSS_VALIDATION_FILE).read_text(encoding="utf-8"))
    assert saved == held_out


def test_a_questions_fold_depends_on_its_text_only(classifier):
    first, second = classifier("a", C=1), classifier("b", C=1)
    first.train(_texts_training_data())
    data = _texts_training_data()
    extra = _message([0, 0, 0, 0, 3, 3], "greet")
    extra.set(TEXT, "greet extra")
    second.train(TrainingData(training_examples=[*data.training_examples, extra]))
    before = {h["text"]: h["ranking"][0] for h in first.held_out}
    after = {h["text"]: h["ranking"][0] for h in second.held_out}
    # Same folds: each question is ranked by nearly the same model, so the same intent comes first.
    assert all(after[text][0] == name for text, (name, _) in before.items())


def test_without_folds_nothing_is_cross_validated(classifier, tmp_path):
    component = classifier(cross_validation_folds=0)
    component.train(_texts_training_data())
    assert component.held_out == [] and not (tmp_path / "clf" / CROSS_VALIDATION_FILE).exists()


def test_the_weights_are_kept_column_major_after_training_and_loading(classifier, tmp_path):
    component = classifier()
    component.train(_training_data())
    loaded = _load(tmp_path)
    assert component.clf.coef_.T.flags.c_contiguous and loaded.clf.coef_.T.flags.c_contiguous
