"""What every layer uses: errors and exit codes, number formatting, the GC pause."""
