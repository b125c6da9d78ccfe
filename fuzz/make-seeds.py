#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/: tiny valid inputs, made here, for afl++ to mutate."""
import hashlib, json, os, struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


# safetensors: 8-byte little-endian header length, JSON header, data buffer.
def safetensors(header, buffer, pad=0):
    text = json.dumps(header, separators=(",", ":")).encode() + b" " * pad
    return struct.pack("<Q", len(text)) + text + buffer

write("safetensors", "empty", safetensors({}, b""))
write("safetensors", "one-f32", safetensors({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, struct.pack("<2f", 1.5, -2)))
write("safetensors", "two-with-metadata", safetensors({
    "__metadata__": {"format": "pt"},
    "a.weight": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]},
    "b.bias": {"dtype": "I64", "shape": [1], "data_offsets": [8, 16]},
}, bytes(range(16)), pad=6))
write("safetensors", "scalar-and-empty", safetensors({
    "s": {"dtype": "F16", "shape": [], "data_offsets": [0, 2]},
    "z": {"dtype": "U8", "shape": [0, 3], "data_offsets": [2, 2]},
}, b"\x00\x3c"))

# tokenizer.json: byte-level BPE; "Ġ" is the byte-level alphabet's space.
byte_vocab = {c: i for i, c in enumerate(["h", "e", "l", "o", "Ġ", "w", "r", "d", "!", "1", "2"])}
merges_vocab = dict(byte_vocab, **{"he": 11, "ll": 12, "hell": 13, "Ġw": 14})
write("tokenizer", "gpt2-style", json.dumps({
    "version": "1.0",
    "added_tokens": [{"id": 15, "content": "<|endoftext|>", "special": True}],
    "normalizer": None,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
    "post_processor": {"type": "ByteLevel"},
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "vocab": merges_vocab, "merges": ["h e", "l l", "he ll", "Ġ w"]},
}, indent=1))
write("tokenizer", "llama3-style", json.dumps({
    "added_tokens": [{"id": 15, "content": "<s>", "special": True}, {"id": 16, "content": "</s>", "special": True}],
    "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}]},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": "\\p{N}{1,3}| ?\\p{L}+|\\s+"}, "behavior": "Isolated", "invert": False},
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": True, "use_regex": False}]},
    "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                       "special_tokens": {"<s>": {"id": "<s>", "ids": [15], "tokens": ["<s>"]}}},
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "unk_token": None, "ignore_merges": True, "vocab": merges_vocab,
              "merges": [["h", "e"], ["l", "l"], ["he", "ll"], ["Ġ", "w"]]},
}, indent=1))

# vectors: length-delimited ResultMessage protobufs (federation.proto), written by hand.
def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)

def field(number, wire, payload):
    key = varint(number << 3 | wire)
    return key + (varint(payload) if wire == 0 else varint(len(payload)) + payload)

def vector_info(name, length, fmt, data):
    return field(1, 2, name.encode()) + field(2, 0, length) + (field(3, 0, fmt) if fmt else b"") + field(4, 2, hashlib.sha256(data).digest())

def header(*infos, kind=0):
    body = field(1, 0, 3) + field(2, 0, 1) + field(3, 0, 10) + b"".join(field(5, 2, i) for i in infos) + (field(9, 0, kind) if kind else b"")
    return field(1, 2, body)

def chunk(name, offset, data):
    return field(2, 2, field(1, 2, name.encode()) + (field(2, 0, offset) if offset else b"") + field(3, 2, data))

def stream(*messages):
    return b"".join(varint(len(m)) + m for m in messages)

f32 = struct.pack("<64f", *[i / 8 for i in range(64)])
bf16 = bytes(range(128))
opaque = bytes((i * 37) % 256 for i in range(200))
write("vectors", "float32-one-chunk", stream(header(vector_info("weights", 64, 0, f32)), chunk("weights", 0, f32)))
write("vectors", "bfloat16-two-chunks", stream(header(vector_info("weights", 64, 1, bf16)), chunk("weights", 0, bf16[:64]), chunk("weights", 64, bf16[64:])))
write("vectors", "opaque-ciphertext", stream(header(vector_info("ciphertext", 200, 3, opaque)), chunk("ciphertext", 0, opaque)))
write("vectors", "two-vectors", stream(header(vector_info("weights", 64, 2, bf16), vector_info("control", 16, 0, f32[:64])),
                                       chunk("weights", 0, bf16), chunk("control", 0, f32[:64])))
write("vectors", "no-vectors", stream(header()))

# config: run config YAML with the deployment sections.
write("config", "minimal.yaml", "name: tiny\nrounds: 2\nmodel:\n  path: models/tiny\ndata:\n  path: data/train.jsonl\n")
write("config", "federation.yaml", """name: fed
seed: 3
method: sft
rounds: 4
model: { path: models/tiny, dtype: float32 }
data: { path: data/a.json, format: alpaca, template: alpaca, held_out_fraction: 0.1 }
split: { method: dirichlet, field: category, alpha: 0.5, clients: 3 }
lora: { rank: 4, alpha: 8, dropout: 0.0, targets: all-linear }
training: { learning_rate: 0.01, schedule: cosine, batch_size: 2, max_steps: 3, max_sequence_length: 64 }
strategy: { algorithm: fedprox, clients_per_round: 2, proximal_mu: 0.1 }
privacy: { mode: client, clip_norm: 1.0, noise_multiplier: 0.5 }
server:
  listen: https://127.0.0.1:50051
  min_clients: 2
  clients:
    - { name: a, token_sha256: abc }
    - { name: b, token_sha256: def }
client:
  server: https://127.0.0.1:50051
  max_backoff_seconds: 5
""")
write("config", "anchors.yaml", "name: &n run\nrounds: 1\nlora: &l\n  rank: 2\n  alpha: 4\nmodel:\n  path: *n\n")

# dataset: the layouts the loader detects, in the formats it reads by extension.
write("dataset", "alpaca.json", json.dumps([{"instruction": "Add.", "input": "1 2", "output": "3"}, {"instruction": "Greet.", "output": "Hi"}]))
write("dataset", "messages.jsonl", "\n".join(json.dumps(r) for r in [
    {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]},
    {"messages": [{"role": "user", "content": "2+2"}, {"role": "assistant", "content": "4"}]}]) + "\n")
write("dataset", "preference.jsonl", json.dumps({"prompt": "Pick", "chosen": "good", "rejected": "bad"}) + "\n")
write("dataset", "keyed-clients.json", json.dumps({"c1": [{"instruction": "a", "output": "b"}], "c2": [{"instruction": "c", "output": "d"}]}))
write("dataset", "instructions.csv", 'instruction,input,output\n"Say ""hi""",,hi\nCount,"1,2",3\n')
write("dataset", "text.txt", "One line of text.\n\nAnother paragraph\nwith two lines.\n")
