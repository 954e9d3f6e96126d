"""Pure text helpers every layer shares: folding, terms, sentences, kin, wishes, whose clause."""
