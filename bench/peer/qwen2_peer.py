#!/usr/bin/python3
"""PyTorch eager peer of FedLlm's `peer` bench suite.

Plain PyTorch (runs on Debian's python3-torch 1.13; no transformers, peft or safetensors package): loads a Qwen2
model folder written by FedLlm (config.json + model.safetensors), then answers one command per stdin line with one JSON
line on stdout, so the C# side can alternate its own measurements with these while both processes stay warm.

Commands (seconds are this process's wall clock around the work only, not the pipe):
  info                          -> {"torch", "threads", "blas", "sdpa"}
  lora <fp32|bf16> <batch> <T>  -> {"seconds"}  one LoRA SFT step: forward + backward + clip + AdamW on the adapters
  decode <fp32|bf16> <P> <N>    -> {"seconds", "ids"}  greedy decode of N tokens after prompt 3..3+P with a KV cache
  matmul <fp32|bf16> <n>        -> {"seconds"}  one n x n x n matmul
  loss <fp32|bf16> <id> <id>... -> {"loss"}  mean next-token loss of one sequence, no adapters, no grad
  quit
"""
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn.functional as F

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}
LORA_RANK, LORA_ALPHA, LORA_DROPOUT = 8, 16.0, 0.05
LEARNING_RATE, MAX_GRAD_NORM = 1e-4, 1.0


def read_safetensors(path):
    """The safetensors format by hand: u64 little-endian header length, JSON header, raw little-endian tensor bytes."""
    if sys.byteorder != "little":
        raise RuntimeError("safetensors data is little-endian; this reader expects a little-endian host")
    with open(path, "rb") as f:
        (header_length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_length))
        data = bytearray(os.path.getsize(path) - 8 - header_length)
        f.readinto(data)
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        kind = entry["dtype"]
        if kind == "F32":
            flat = torch.frombuffer(data, dtype=torch.float32, count=(end - start) // 4, offset=start)
        elif kind == "BF16":
            # 1.13's frombuffer has no bf16 reader of its own: read the bits as int16 and reinterpret.
            flat = torch.frombuffer(data, dtype=torch.int16, count=(end - start) // 2, offset=start).view(torch.bfloat16)
        else:
            raise ValueError(f"{path}: tensor {name} has dtype {kind}; this peer reads F32 and BF16 only")
        tensors[name] = flat.reshape(entry["shape"]).clone()
    return tensors


class Projection(torch.nn.Module):
    """A frozen linear layer with an optional LoRA adapter: base in the weight's dtype, adapter in fp32 (as FedLlm)."""

    def __init__(self, weight, bias):
        super().__init__()
        self.weight = torch.nn.Parameter(weight, requires_grad=False)
        self.bias = None if bias is None else torch.nn.Parameter(bias, requires_grad=False)
        self.lora_a = self.lora_b = None

    def attach_lora(self, generator):
        out_features, in_features = self.weight.shape
        bound = 1.0 / math.sqrt(in_features)  # PEFT's Kaiming-uniform with a = sqrt(5)
        self.lora_a = torch.nn.Parameter(torch.rand(LORA_RANK, in_features, generator=generator) * (2 * bound) - bound)
        # A non-zero B so every adapter carries gradient to A, as after the first real step (FedLlm's bench does the same).
        self.lora_b = torch.nn.Parameter(torch.randn(out_features, LORA_RANK, generator=generator) * 0.01)

    def forward(self, x):
        out = F.linear(x if x.dtype == self.weight.dtype else x.to(self.weight.dtype), self.weight, self.bias)
        if self.lora_a is None:
            return out
        h = x.float()
        if self.training and LORA_DROPOUT > 0:
            h = F.dropout(h, LORA_DROPOUT, training=True)
        return out.float() + F.linear(F.linear(h, self.lora_a), self.lora_b) * (LORA_ALPHA / LORA_RANK)


def rms_norm(x, weight, eps):
    xf = x.float()
    normed = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return weight * normed.to(x.dtype)


class Qwen2(torch.nn.Module):
    def __init__(self, config, tensors, dtype):
        super().__init__()
        self.config = config
        self.eps = config.get("rms_norm_eps", 1e-6)
        self.heads = config["num_attention_heads"]
        self.kv_heads = config.get("num_key_value_heads", self.heads)
        self.head_dim = config.get("head_dim") or config["hidden_size"] // self.heads
        t = {name: value.to(dtype) for name, value in tensors.items()}
        self.embed = torch.nn.Parameter(t["model.embed_tokens.weight"], requires_grad=False)
        self.final_norm = torch.nn.Parameter(t["model.norm.weight"], requires_grad=False)
        self.lm_head = None if config.get("tie_word_embeddings") else Projection(t["lm_head.weight"], None)
        self.layers = torch.nn.ModuleList()
        for i in range(config["num_hidden_layers"]):
            p = f"model.layers.{i}."
            layer = torch.nn.Module()
            layer.input_norm = torch.nn.Parameter(t[p + "input_layernorm.weight"], requires_grad=False)
            layer.post_norm = torch.nn.Parameter(t[p + "post_attention_layernorm.weight"], requires_grad=False)
            for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
                setattr(layer, name, Projection(t[p + "self_attn." + name + ".weight"], t.get(p + "self_attn." + name + ".bias")))
            for name in ("gate_proj", "up_proj", "down_proj"):
                setattr(layer, name, Projection(t[p + "mlp." + name + ".weight"], t.get(p + "mlp." + name + ".bias")))
            self.layers.append(layer)
        # Hugging Face's rotary tables: inv_freq = theta^(-2i/d), angle = position * inv_freq, halves repeated.
        theta = float(config.get("rope_theta", 10000.0))
        inv_freq = 1.0 / theta ** (torch.arange(0, self.head_dim, 2, dtype=torch.float64) / self.head_dim)
        angles = torch.arange(config.get("max_position_embeddings", 2048), dtype=torch.float64)[:, None] * inv_freq[None, :]
        angles = torch.cat([angles, angles], dim=-1).float()
        self.cos, self.sin = angles.cos(), angles.sin()

    def projections(self):
        for layer in self.layers:
            for name in ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"):
                yield getattr(layer, name)

    def rope(self, x, start):
        length, half = x.shape[2], self.head_dim // 2
        cos = self.cos[start:start + length].to(x.dtype)
        sin = self.sin[start:start + length].to(x.dtype)
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * cos + rotated * sin

    def attention(self, layer, x, index, start, cache):
        batch, length, _ = x.shape
        q = layer.q_proj(x).view(batch, length, self.heads, self.head_dim).transpose(1, 2)
        k = layer.k_proj(x).view(batch, length, self.kv_heads, self.head_dim).transpose(1, 2)
        v = layer.v_proj(x).view(batch, length, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = self.rope(q, start), self.rope(k, start)
        if cache is not None:
            keys, values = cache[index]
            keys[:, :, start:start + length] = k
            values[:, :, start:start + length] = v
            k, v = keys[:, :, :start + length].to(q.dtype), values[:, :, :start + length].to(q.dtype)
        groups = self.heads // self.kv_heads
        if groups > 1:
            k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
        total = k.shape[2]
        if hasattr(F, "scaled_dot_product_attention"):
            mask = None if length == 1 else torch.ones(length, total, dtype=torch.bool).tril(total - length)
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        else:
            # 1.13 has no fused attention: scores, causal mask, softmax in fp32 (as Hugging Face's eager attention).
            scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
            if length > 1:
                mask = torch.ones(length, total, dtype=torch.bool).tril(total - length)
                scores = scores.masked_fill(~mask, float("-inf"))
            attended = torch.matmul(torch.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype), v)
        merged = attended.transpose(1, 2).reshape(batch, length, self.heads * self.head_dim)
        return layer.o_proj(merged)

    def forward(self, ids, cache=None, start=0):
        hidden = self.embed[ids]
        for index, layer in enumerate(self.layers):
            attended = self.attention(layer, rms_norm(hidden, layer.input_norm, self.eps), index, start, cache)
            hidden = hidden + attended.to(hidden.dtype)
            normed = rms_norm(hidden, layer.post_norm, self.eps)
            mlp = layer.down_proj(F.silu(layer.gate_proj(normed)) * layer.up_proj(normed))
            hidden = hidden + mlp.to(hidden.dtype)
        hidden = rms_norm(hidden, self.final_norm, self.eps)
        logits = self.lm_head(hidden) if self.lm_head is not None else F.linear(hidden, self.embed)
        return logits.float()

    def new_cache(self, batch, capacity, dtype):
        shape = (batch, self.kv_heads, capacity, self.head_dim)
        return [(torch.zeros(shape, dtype=dtype), torch.zeros(shape, dtype=dtype)) for _ in self.layers]


class Peer:
    def __init__(self, folder):
        with open(os.path.join(folder, "config.json")) as f:
            self.config = json.load(f)
        self.tensors = read_safetensors(os.path.join(folder, "model.safetensors"))
        self.models = {}
        self.lora_models = {}
        self.trainers = {}

    def model(self, dtype):
        """The plain model (no adapters) for decoding and loss checks; an fp32 model shares the loaded tensors."""
        if dtype not in self.models:
            self.models[dtype] = Qwen2(self.config, self.tensors, DTYPES[dtype]).eval()
        return self.models[dtype]

    def lora(self, dtype, batch, length):
        key = (dtype, batch, length)
        if key not in self.trainers:
            # One model with adapters per base dtype, shared by every shape; a fresh optimizer per shape.
            if dtype not in self.lora_models:
                model = Qwen2(self.config, self.tensors, DTYPES[dtype])
                generator = torch.Generator().manual_seed(2)
                for projection in model.projections():
                    projection.attach_lora(generator)
                self.lora_models[dtype] = model.train()
            model = self.lora_models[dtype]
            adapters = [p for p in model.parameters() if p.requires_grad]
            optimizer = torch.optim.AdamW(adapters, lr=LEARNING_RATE)
            ids = torch.randint(3, self.config["vocab_size"], (batch, length + 1), generator=torch.Generator().manual_seed(5))
            self.trainers[key] = (model, adapters, optimizer, ids)
        model, adapters, optimizer, ids = self.trainers[key]
        clock = time.perf_counter()
        # SftTrainer's step: summed loss over the labelled tokens / their count, backward, clip, AdamW.
        optimizer.zero_grad()
        logits = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="sum") / (batch * length)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(adapters, MAX_GRAD_NORM)
        optimizer.step()
        return {"seconds": time.perf_counter() - clock, "loss": loss.item()}

    @torch.no_grad()
    def decode(self, dtype, prompt_tokens, new_tokens):
        model = self.model(dtype)
        clock = time.perf_counter()
        cache = model.new_cache(1, prompt_tokens + new_tokens, DTYPES[dtype])
        prompt = torch.arange(3, 3 + prompt_tokens).unsqueeze(0)
        following = model(prompt, cache, 0)[0, -1].argmax().reshape(1, 1)
        ids = [following]
        for position in range(prompt_tokens, prompt_tokens + new_tokens - 1):
            following = model(following, cache, position)[0, -1].argmax().reshape(1, 1)
            ids.append(following)
        seconds = time.perf_counter() - clock
        return {"seconds": seconds, "ids": [int(i) for i in ids]}

    @staticmethod
    def matmul(dtype, size):
        a, b = torch.randn(size, size).to(DTYPES[dtype]), torch.randn(size, size).to(DTYPES[dtype])
        clock = time.perf_counter()
        torch.matmul(a, b)
        return {"seconds": time.perf_counter() - clock}

    @torch.no_grad()
    def loss(self, dtype, ids):
        ids = torch.tensor(ids).unsqueeze(0)
        logits = self.model(dtype)(ids[:, :-1])
        return {"loss": F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[0, 1:]).item()}


def blas_library():
    """The BLAS shared library this process mapped (Debian's torch calls the system libblas.so.3 alternative)."""
    torch.matmul(torch.ones(64, 64), torch.ones(64, 64))
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    return sorted(os.path.realpath(p) for p in paths)


def main():
    if len(sys.argv) != 2:
        print("usage: qwen2_peer.py MODEL_FOLDER", file=sys.stderr)
        return 2
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    peer = Peer(sys.argv[1])
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            command, args = words[0], words[1:]
            if command == "quit":
                break
            if command == "info":
                reply = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_library(),
                         "sdpa": hasattr(F, "scaled_dot_product_attention")}
            elif command == "lora":
                reply = peer.lora(args[0], int(args[1]), int(args[2]))
            elif command == "decode":
                reply = peer.decode(args[0], int(args[1]), int(args[2]))
            elif command == "matmul":
                reply = peer.matmul(args[0], int(args[1]))
            elif command == "loss":
                reply = peer.loss(args[0], [int(i) for i in args[1:]])
            else:
                reply = {"error": f"unknown command '{command}'"}
        except Exception as e:  # one bad command is reported to the bench, not fatal to the peer
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
