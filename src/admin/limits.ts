/** The admin port's request body limit when admin.bodyLimitBytes is not given (the config's default too). */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
