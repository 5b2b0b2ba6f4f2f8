"""Experiment 4, no model: chunks and tokens the model would see per chunking setting on full
SciFact (title + '. ' + chunk or the bare chunk; special tokens included; after the model's
256-token truncation; 'padded' = token-sorted batches of 16 within 256-paper groups)."""

from __future__ import annotations

from common import chunk_texts, raw_tokenizer, save_json, scifact_papers

SETTINGS = [(200, 40), (200, 0), (240, 0), (256, 0), (1024, 0)]


def main() -> None:
    papers = scifact_papers()
    tok = raw_tokenizer()
    out = {}
    for size, overlap in SETTINGS:
        for title in (True, False):
            texts, owner = chunk_texts(papers, size, overlap, title)
            lens = [len(e.ids) for e in tok.encode_batch(texts)]
            padded = 0
            for g in range(0, len(papers), 256):
                grp = sorted(
                    (n for n, o in zip(lens, owner, strict=True) if g <= o < g + 256), reverse=True
                )
                padded += sum(
                    max(grp[s : s + 16]) * len(grp[s : s + 16]) for s in range(0, len(grp), 16)
                )
            key = f"{size}/{overlap}/{'title' if title else 'none'}"
            out[key] = {
                "chunks": len(texts),
                "tokens": sum(lens),
                "padded_tokens": padded,
                "truncated_chunks": sum(n >= 256 for n in lens),
            }
            print(key, out[key], flush=True)
    save_json("exp4_tokens.json", out)


if __name__ == "__main__":
    main()
