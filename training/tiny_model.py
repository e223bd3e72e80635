"""A tiny Qwen-style causal LM and a tokenizer trained here, for tests and the smoke run (nothing downloaded).

The tokenizer is a byte-level BPE trained on text the model will meet (the tool schemas,
the system prompt, task descriptions, SFT conversations), with Qwen's chat markup as added
tokens and TRL's copy of the Qwen3 chat template, which renders tool calls and tool results
and which TRL knows how to parse (`add_response_schema`) and patch for training. The model is
Qwen3ForCausalLM from a config, randomly initialised: it exercises every code path of a real
model at a size two CPU cores train in seconds. Users load their own with `from_pretrained`.
"""

from pathlib import Path

# Qwen's control tokens (special: dropped when decoding for display) and its tool markup (not special:
# the response parser reads it from the decoded text, as with the real Qwen tokenizers).
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
MARKUP_TOKENS = ["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", "<think>", "</think>"]


def train_tokenizer(corpus: list[str], *, vocab_size: int = 4096):
    """A PreTrainedTokenizerFast trained on `corpus`, with the Qwen3 chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AddedToken, PreTrainedTokenizerFast
    from trl.chat_template_utils import qwen3_chat_template

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    backend.train_from_iterator(corpus, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                        padding_side="left")
    tokenizer.add_tokens([AddedToken(token, special=False, normalized=False) for token in MARKUP_TOKENS])
    tokenizer.chat_template = qwen3_chat_template
    return tokenizer


def build_tiny_model(out_dir: Path, corpus: list[str], *, vocab_size: int = 4096, hidden_size: int = 64,
                     layers: int = 2, heads: int = 4, context: int = 16384, seed: int = 0) -> Path:
    """Write a tiny Qwen3 model and its tokenizer to `out_dir` (loadable with from_pretrained)."""
    import torch
    from transformers import GenerationConfig, Qwen3Config, Qwen3ForCausalLM

    tokenizer = train_tokenizer(corpus, vocab_size=vocab_size)
    eos, pad = tokenizer.convert_tokens_to_ids("<|im_end|>"), tokenizer.convert_tokens_to_ids("<|endoftext|>")
    config = Qwen3Config(
        vocab_size=len(tokenizer), hidden_size=hidden_size, intermediate_size=hidden_size * 2,
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=max(1, heads // 2),
        head_dim=hidden_size // heads, max_position_embeddings=context, tie_word_embeddings=True,
        bos_token_id=pad, eos_token_id=eos, pad_token_id=pad,
    )
    torch.manual_seed(seed)
    model = Qwen3ForCausalLM(config)
    model.generation_config = GenerationConfig(eos_token_id=eos, pad_token_id=pad, bos_token_id=pad)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def tokenizer_corpus(*, tools: list[dict], texts: list[str]) -> list[str]:
    """What the tokenizer should compress well: the tool schemas as the chat template writes them, and `texts`."""
    import json

    from ehrgym_client.text import SYSTEM_PROMPT

    return [SYSTEM_PROMPT, *(json.dumps(tool, ensure_ascii=False) for tool in tools), *texts]
