"""The issue-type classifier: corpus, tokenizer, pretraining, fine-tuning and CPU inference."""
