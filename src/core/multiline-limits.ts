/**
 * Limits of IRCv3 draft/multiline batches, advertised as the capability's value
 * (`max-bytes`, `max-lines`). Every line a batch becomes costs each recipient a full IRC line
 * (source, target, tags), so both bound what one message can add to everyone's send queue:
 * at most about 100 × 600 bytes, well under the default send queue.
 */
export const MULTILINE_MAX_BYTES = 8192;
export const MULTILINE_MAX_LINES = 100;
