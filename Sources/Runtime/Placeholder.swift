// Replaced by the assembler.
