// Signing keys with a lifecycle: the current key (retires_at NULL, at most one) signs new
// tokens; a rotated-out key verifies until retires_at, then is refused and may be pruned.
// `encrypted` marks a secret stored as AES-256-GCM ciphertext (src/auth/key-encryption.ts);
// existing rows stay plaintext. The existing 'primary' key becomes the current key.
export const name = 'signing-key-rotation'

export const up = `
ALTER TABLE signing_keys
  ADD COLUMN retires_at timestamptz,
  ADD COLUMN encrypted boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT signing_keys_kid_format CHECK (kid ~ '^[A-Za-z0-9_-]{1,64}$');
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys ((true)) WHERE retires_at IS NULL;
`
