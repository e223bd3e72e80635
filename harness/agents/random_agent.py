"""A seeded random agent: valid-looking semantic actions with random but schema-valid arguments.

It is a floor for the other agents. It uses the patient's MRN from the instruction and ids
it has seen in results (orders, notes, alerts), so it sometimes does something to the
chart; it never reads the rubric or the facts. Same seed and same observations → same
actions. It ends with `finish` before the step limit, or earlier with probability
FINISH_PROBABILITY per step.
"""

import random
import string

from harness.agents.actions import TERMINAL, semantic_action_schemas
from harness.instances import Instance

FINISH_PROBABILITY = 0.08
OPTIONAL_PROBABILITY = 0.3
# Words a clinician might type into a search box or a note; the instruction's words are added per episode.
VOCABULARY = ("potassium", "hemoglobin", "metformin", "lisinopril", "aspirin", "amoxicillin", "glucose",
              "creatinine", "pneumonia", "hypertension", "insulin", "troponin", "chest", "x-ray", "follow", "up")
# Where ids, orderable keys and codes turn up in action results.
SEEN_KEYS = {"id": "ids", "key": "keys", "code": "codes", "loinc": "codes", "slug": "slugs", "mrn": "mrns"}
VITALS = {"heart_rate": (40, 150), "systolic_bp": (80, 200), "diastolic_bp": (40, 120),
          "respiratory_rate": (8, 30), "temperature_c": (35, 40), "spo2": (85, 100)}


def _harvest(value, seen: dict[str, set]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            bucket = SEEN_KEYS.get(key)
            if bucket and isinstance(item, (int, str)) and not isinstance(item, bool) and item != "":
                seen[bucket].add(item)
            _harvest(item, seen)
    elif isinstance(value, list):
        for item in value:
            _harvest(item, seen)


class _Sampler:
    def __init__(self, rng: random.Random, instance: Instance):
        self.rng = rng
        self.mrn = instance.patient_mrn
        words = [w.strip(".,:;()?\"'").lower() for w in instance.instruction.split()]
        self.words = sorted({w for w in words if len(w) > 3 and w.isalpha()} | set(VOCABULARY))
        self.seen: dict[str, set] = {bucket: set() for bucket in set(SEEN_KEYS.values())}

    def _pick_seen(self, bucket: str, fallback):
        values = sorted(self.seen[bucket], key=str)
        return self.rng.choice(values) if values and self.rng.random() < 0.8 else fallback()

    def text(self, name: str, schema: dict) -> str:
        if "enum" in schema:
            return self.rng.choice(schema["enum"])
        if name == "mrn":
            return self.mrn if self.rng.random() < 0.9 else self._pick_seen("mrns", lambda: self.mrn)
        if name in ("orderable", "loinc", "code"):
            return str(self._pick_seen("keys" if name == "orderable" else "codes", lambda: self.rng.choice(self.words)))
        if name == "slug":
            return str(self._pick_seen("slugs", lambda: self.rng.choice(self.words)))
        if schema.get("format") == "date":
            return f"20{self.rng.randint(10, 25):02d}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"
        if schema.get("format") == "date-time":
            year, month, day = self.rng.randint(10, 25), self.rng.randint(1, 12), self.rng.randint(1, 28)
            return f"20{year:02d}-{month:02d}-{day:02d}T08:00:00"
        count = self.rng.randint(1, 12)
        text = " ".join(self.rng.choice(self.words) for _ in range(count))
        limit = schema.get("maxLength")
        return (text[:limit] if limit else text) or self.rng.choice(string.ascii_lowercase)

    def integer(self, name: str, schema: dict) -> int:
        if name.endswith("_id"):
            ids = [i for i in self.seen["ids"] if isinstance(i, int)]
            if ids and self.rng.random() < 0.8:
                return self.rng.choice(sorted(ids))
        low = schema.get("minimum", 1)
        high = min(schema.get("maximum", low + 50), low + 50)
        return self.rng.randint(low, high)

    def value(self, name: str, schema: dict):
        options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
        schema = {**schema, **self.rng.choice(options)} if options else schema
        kind = schema.get("type")
        if kind == "string" or "enum" in schema:
            return self.text(name, schema)
        if kind == "integer":
            return self.integer(name, schema)
        if kind == "number":
            return round(self.rng.uniform(schema.get("minimum", 0.5), min(schema.get("maximum", 1000), 1000)), 1)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "array":
            items = schema.get("items", {})
            return [self.value(name.removesuffix("s"), items) for _ in range(self.rng.randint(1, 2))]
        if kind == "object":
            vital = self.rng.choice(sorted(VITALS))
            low, high = VITALS[vital]
            return {vital: self.rng.randint(low, high)}
        return None

    def action(self, action_type: str, schema: dict) -> dict:
        action = {"type": action_type}
        required = set(schema.get("required", []))
        for name, field in schema.get("properties", {}).items():
            if name == "type":
                continue
            # The MRN is given more often than other optional fields: without it little happens.
            chance = 0.9 if name == "mrn" else OPTIONAL_PROBABILITY
            if name in required or self.rng.random() < chance:
                value = self.value(name, field)
                if value is not None:
                    action[name] = value
        return action


class RandomAgent:
    name = "random"

    def policy(self, instance: Instance, observation: dict, *, seed: int):
        rng = random.Random(seed)
        schemas = semantic_action_schemas()
        choices = [name for name in schemas if name not in TERMINAL]
        sampler = _Sampler(rng, instance)
        while True:
            sampler.seen["mrns"].add(instance.patient_mrn)
            _harvest(observation.get("last_action_result"), sampler.seen)
            # Finish one step before the limit, so the episode ends by the agent's choice.
            if observation["step"] + 1 >= observation["step_limit"] or rng.random() < FINISH_PROBABILITY:
                yield {"type": "finish", "message": "Done."}
                return
            action_type = rng.choice(choices)
            observation = yield sampler.action(action_type, schemas[action_type])
