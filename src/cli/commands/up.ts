import type { Command } from 'commander';

// Placeholder: filled in by the issue that owns this command group.
export function register(_program: Command): void {}
