"""Parameter counts from a model's architecture (pure): GQA, tied embeddings, MoE total vs active."""

from __future__ import annotations

from dataclasses import dataclass

from .schemas import ModelSpec

# Architectures whose MLP has two matrices (up, down) instead of the gated three (gate, up, down).
_TWO_MATRIX_MLP = {"gpt2", "gpt_bigcode", "starcoder2", "falcon", "gpt_neox", "phi", "opt", "bloom"}


@dataclass(frozen=True)
class ParamCounts:
    total: int
    active: int  # parameters read per token (MoE: only the routed experts; one embedding row)
    embedding: int  # token embedding matrix
    output: int  # separate LM head (0 when tied)
    hidden_input: int  # body matrices whose input dimension is the hidden size (q, k, v, gate, up, router)

    @property
    def body(self) -> int:
        return self.total - self.embedding - self.output



def count_params(m: ModelSpec) -> ParamCounts:
    h, d, L = m.hidden_size, m.head_size, m.num_hidden_layers
    q = h * m.num_attention_heads * d
    kv = 2 * h * m.kv_heads * d
    o = m.num_attention_heads * d * h
    n_mlp = 2 if m.architecture in _TWO_MATRIX_MLP else 3
    norms = 2 * h
    if m.is_moe:
        inter = m.moe_intermediate_size or m.intermediate_size
        expert = n_mlp * h * inter
        router = h * (m.num_experts or 1)
        mlp_total = (m.num_experts or 1) * expert + router
        mlp_active = (m.num_experts_per_tok or 1) * expert + router
        mlp_hidden_in_total = (m.num_experts or 1) * (n_mlp - 1) * h * inter + router
    else:
        mlp_total = mlp_active = n_mlp * h * m.intermediate_size
        mlp_hidden_in_total = (n_mlp - 1) * h * m.intermediate_size
    layer_total = q + kv + o + mlp_total + norms
    layer_active = q + kv + o + mlp_active + norms
    emb = m.vocab_size * h
    out = 0 if m.tie_word_embeddings else m.vocab_size * h
    total = L * layer_total + emb + out + h
    # Read per token: the routed layers, the final norm, the LM head, and only the embedding row looked up (a
    # tied embedding is read whole, as the LM head). gpt-oss-20b: 3.6 B active, as OpenAI publishes.
    head = emb if m.tie_word_embeddings else out + h
    active = L * layer_active + h + head
    return ParamCounts(
        total=total, active=active, embedding=emb, output=out, hidden_input=L * (q + kv + mlp_hidden_in_total)
    )


def kv_bytes_per_token(m: ModelSpec, bytes_per_element: float = 2.0) -> float:
    """K and V for every layer, for one token."""
    return 2.0 * m.num_hidden_layers * m.kv_heads * m.head_size * bytes_per_element
