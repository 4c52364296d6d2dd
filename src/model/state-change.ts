/** What check_vim_status answers: a VIM's recent instance state changes (the store keeps the window). */

/** One entry of the check_vim_status window (docs/admin-api.md). */
export interface StateChange {
  readonly state_description: string | null;
  readonly launched_at: string | null;
  readonly instance_id: string | null;
  readonly display_name: string | null;
  readonly state: string | null;
  readonly event: string;
  readonly timestamp: string;
}
