"""Pure text helpers every layer shares: accent folding, content terms, sentences, budgets."""
