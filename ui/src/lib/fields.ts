import type { CaseField } from './ipc';
import type { MessageKey } from './i18n';

/** `field.<wire name>`, as `CaseField::message_key` gives it in Rust. */
type FieldLabelKey = `field.${CaseField}`;

/** The label of a case section; a section added in Rust fails the type check until i18n.ts names it. */
export function fieldLabel(field: CaseField): MessageKey {
  const key: FieldLabelKey = `field.${field}`;
  return key;
}
