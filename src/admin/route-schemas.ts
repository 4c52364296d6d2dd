/** Route-level schemas: thin wrappers that point into the schema files (the one source of truth). */
export const vimIdParams = {
  type: 'object',
  required: ['vimId'],
  properties: { vimId: { $ref: 'vim.schema.json#/$defs/vimId' } },
} as const;

export const subscriptionIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { $ref: 'subscription.schema.json#/$defs/subscriptionId' } },
} as const;

export const subscriptionListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { vimId: { $ref: 'vim.schema.json#/$defs/vimId' } },
} as const;

export const vimBody = { $ref: 'vim.schema.json' } as const;
export const subscriptionBody = { $ref: 'subscription.schema.json' } as const;
export const checkVimStatusBody = { $ref: 'check-vim-status.schema.json' } as const;
export const vesAgentBody = { $ref: 'vesagent.schema.json' } as const;
