"""Train the lowercase WordPiece tokenizer (emoji-aware) and wrap it as a transformers fast tokenizer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

from pantau.classifier.wordpiece_vocab import learn_vocab

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# Pictographs, dingbats, symbols and regional indicators: each emoji becomes its own pre-token.
EMOJI_PATTERN = (
    r"[\x{1F000}-\x{1FAFF}\x{2600}-\x{27BF}\x{2B00}-\x{2BFF}\x{2190}-\x{21FF}\x{2300}-\x{23FF}\x{3030}\x{303D}]"
)
COMMON_EMOJIS = list("😡😤😠🤬😭😢😥😩😫😞😔🙏👍👎👏🙄😒😑😐🤔😅😂🤣😊😁🥰❤🔥💯✅❌⚠⏳💸💰📱🤦🤷😓😴🥲🫠🤡😱😰🆘")


def _base_tokenizer() -> Tokenizer:
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=50))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.NFKC(),
            normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=True, lowercase=True),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Split(Regex(EMOJI_PATTERN), behavior="isolated"),
            pre_tokenizers.Punctuation(behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    return tokenizer


def word_counts(tokenizer: Tokenizer, texts: Iterable[str]) -> Counter[str]:
    """How often each pre-token occurs in `texts` after the tokenizer's own normalisation and pre-tokenisation."""
    normalizer, pre_tokenizer = tokenizer.normalizer, tokenizer.pre_tokenizer
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(word for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    return counts


def build_wordpiece(texts: Iterable[str], *, vocab_size: int = 16000, min_frequency: int = 2) -> Tokenizer:
    """Train a lowercase WordPiece model on `texts` (already cleaned); the same input gives the same tokenizer."""
    tokenizer = _base_tokenizer()
    vocab = learn_vocab(
        word_counts(tokenizer, texts),
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        limit_alphabet=600,
        initial_alphabet=COMMON_EMOJIS,
        prefix="##",
    )
    tokenizer.model = models.WordPiece(
        vocab={token: index for index, token in enumerate(vocab)},
        unk_token="[UNK]",
        max_input_chars_per_word=50,
        continuing_subword_prefix="##",
    )
    tokenizer.add_special_tokens(SPECIAL_TOKENS)
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    return tokenizer


def wrap_fast(tokenizer: Tokenizer, *, model_max_length: int = 128) -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=model_max_length,
    )


def train_tokenizer(
    texts: Iterable[str], out_dir: str | Path, *, vocab_size: int = 16000, model_max_length: int = 128
) -> PreTrainedTokenizerFast:
    """Train, wrap and save the tokenizer to `out_dir`; returns the wrapped tokenizer."""
    fast = wrap_fast(build_wordpiece(texts, vocab_size=vocab_size), model_max_length=model_max_length)
    fast.save_pretrained(str(out_dir))
    return fast
