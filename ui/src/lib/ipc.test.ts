import { beforeEach, describe, expect, it, vi } from 'vitest';

const invoke = vi.fn();
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { DeskError, ipc, normaliseError } = await import('./ipc');

describe('normaliseError', () => {
  it('keeps a CommandError from Rust as it is', () => {
    expect(normaliseError({ code: 'case_locked', message: 'This case is submitted.' })).toEqual({
      code: 'case_locked',
      message: 'This case is submitted.',
      params: {},
    });
  });

  it('turns a bare string from Tauri (e.g. a refused permission) into code "ipc"', () => {
    expect(normaliseError('command case_get not allowed by ACL')).toEqual({
      code: 'ipc',
      message: 'command case_get not allowed by ACL',
      params: {},
    });
  });

  it('uses the message of a thrown Error', () => {
    expect(normaliseError(new TypeError('window.__TAURI_INTERNALS__ is undefined'))).toEqual({
      code: 'ipc',
      message: 'window.__TAURI_INTERNALS__ is undefined',
      params: {},
    });
  });

  it('gives a readable message for anything else', () => {
    for (const odd of [undefined, null, 42, '', { code: 7 }, new Error('')]) {
      const error = normaliseError(odd);
      expect(error.code).toBe('unknown');
      expect(error.message).toMatch(/unexpected error/i);
    }
  });

  it('keeps the values a translated message needs', () => {
    const error = normaliseError({
      code: 'server_key_changed',
      message: 'PAKS now signs with another key.',
      params: { old_key_id: 'aaaa', new_key_id: 'bbbb', seconds: 3, odd: { x: 1 }, nan: NaN },
    });
    expect(error.params).toEqual({ old_key_id: 'aaaa', new_key_id: 'bbbb', seconds: 3 });
  });
});

describe('ipc', () => {
  beforeEach(() => {
    invoke.mockReset();
  });

  it('passes arguments under their Rust names', async () => {
    invoke.mockResolvedValue({ case_id: 3 });
    await ipc.caseSetField(3, 'summary', 'Text');
    await ipc.revisionRestore(3, 9);
    expect(invoke.mock.calls).toEqual([
      ['case_set_field', { id: 3, field: 'summary', value: 'Text' }],
      ['revision_restore', { case_id: 3, revision_id: 9 }],
    ]);
  });

  it('rejects with a DeskError carrying the code', async () => {
    invoke.mockRejectedValue({ code: 'case_not_found', message: 'Case 9 does not exist.' });
    const error: unknown = await ipc.caseGet(9).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(DeskError);
    const { code, message } = error as InstanceType<typeof DeskError>;
    expect({ code, message }).toEqual({ code: 'case_not_found', message: 'Case 9 does not exist.' });
  });
});
