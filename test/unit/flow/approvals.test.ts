import { expect } from 'chai'
import {
  APPROVAL_TIMED_OUT,
  approvalMessage,
  decideApproval,
  MAX_REJECTION_BYTES,
  type ApprovalDecision,
  type ApprovalRequest,
} from '../../../src/flow/approvals.ts'
import type { StepRun } from '../../../src/flow/job.ts'
import type { InputSchema } from '../../../src/workspace/workspace.ts'
import { actionSpec, inputField, NOW, stepRun } from './builders.ts'

const NOW_ISO = '2025-03-01T12:00:00.000Z'
const MESSAGE = 'Deploy v2 to prod?'

const schema: InputSchema = [
  ['ticket', inputField({ required: true })],
  ['replicas', inputField({ type: 'integer', default: 1 })],
]

/** A suspended approval step showing MESSAGE, whose action asks for `input`. */
function gate(input: InputSchema = [], output: unknown = { approval_message: MESSAGE }): StepRun {
  return stepRun('gate', 'suspended', {
    actionName: 'ask',
    actionType: 'approval',
    output,
    suspendedAt: NOW,
    spec: { action: { ...actionSpec('ask'), type: 'approval', message: 'Deploy?', input } },
  })
}

const approve = (input?: Record<string, unknown> | null): ApprovalRequest => ({
  approved: true,
  actor: 'alice',
  at: NOW,
  ...(input !== undefined ? { input } : {}),
})

const reject = (reason?: string | null): ApprovalRequest => ({
  approved: false,
  actor: 'bob',
  at: NOW,
  ...(reason !== undefined ? { rejectionReason: reason } : {}),
})

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8')

describe('flow/approvals', () => {
  describe('approvalMessage', () => {
    const rows: Array<[unknown, string]> = [
      [{ approval_message: MESSAGE }, MESSAGE],
      [{ approval_message: '' }, ''],
      [{ approval_message: 5 }, ''],
      [{ other: 'x' }, ''],
      [null, ''],
      ['a string output', ''],
    ]
    for (const [output, want] of rows) {
      it(`reads ${JSON.stringify(want)} from the output ${JSON.stringify(output)}`, () => {
        expect(approvalMessage({ output })).to.equal(want)
      })
    }
  })

  describe('decideApproval', () => {
    it('approves with the message, the approver, the time and an empty input', () => {
      expect(decideApproval(gate(), approve())).to.deep.equal({
        ok: true,
        event: 'approve',
        output: {
          approval_message: MESSAGE,
          approved: true,
          approved_by: 'alice',
          approved_at: NOW_ISO,
          input: {},
        },
        reason: null,
      })
    })

    it('approves with the fields the action asks for, defaults added', () => {
      const d = decideApproval(gate(schema), approve({ ticket: 'CHG-42' }))
      expect(d).to.deep.equal({
        ok: true,
        event: 'approve',
        output: {
          approval_message: MESSAGE,
          approved: true,
          approved_by: 'alice',
          approved_at: NOW_ISO,
          input: { ticket: 'CHG-42', replicas: 1 },
        },
        reason: null,
      })
    })

    it('keeps any input when the action asks for none', () => {
      const d = decideApproval(gate(), approve({ note: 'looks good', n: 2 }))
      expect(d.ok && d.output.input).to.deep.equal({ note: 'looks good', n: 2 })
    })

    it('shows an empty message when the step kept none', () => {
      const d = decideApproval(gate([], null), approve())
      expect(d.ok && d.output.approval_message).to.equal('')
    })

    type Bad = { why: string; input: Record<string, unknown> | null; want: ApprovalDecision }
    const bad: Bad[] = [
      {
        why: 'no input at all',
        input: null,
        want: {
          ok: false,
          message: 'invalid input: input.ticket: required field is missing',
          issues: [{ path: 'input.ticket', message: 'required field is missing' }],
        },
      },
      {
        why: 'a required field missing',
        input: { replicas: 3 },
        want: {
          ok: false,
          message: 'invalid input: input.ticket: required field is missing',
          issues: [{ path: 'input.ticket', message: 'required field is missing' }],
        },
      },
      {
        why: 'mistyped and unknown fields, every one named',
        input: { ticket: 42, replicas: 'three', approve: true },
        want: {
          ok: false,
          message:
            'invalid input: input.approve: unknown field; input.ticket: expected string, got number; input.replicas: expected integer, got string',
          issues: [
            { path: 'input.approve', message: 'unknown field' },
            { path: 'input.ticket', message: 'expected string, got number' },
            { path: 'input.replicas', message: 'expected integer, got string' },
          ],
        },
      },
    ]
    for (const r of bad) {
      it(`refuses an approval with ${r.why}`, () => {
        expect(decideApproval(gate(schema), approve(r.input))).to.deep.equal(r.want)
      })
    }

    it('rejects with the trimmed reason as the error and in the output', () => {
      expect(decideApproval(gate(schema), reject('  not during the freeze \n'))).to.deep.equal({
        ok: true,
        event: 'reject',
        output: {
          approval_message: MESSAGE,
          approved: false,
          approved_by: 'bob',
          approved_at: NOW_ISO,
          rejection_reason: 'not during the freeze',
        },
        reason: 'not during the freeze',
      })
    })

    for (const given of [undefined, null, '', '   \n\t']) {
      it(`rejects with the default reason for ${JSON.stringify(given) ?? 'no reason'}`, () => {
        const d = decideApproval(gate(schema), reject(given))
        expect(d.ok && [d.event, d.reason, d.output.rejection_reason]).to.deep.equal([
          'reject',
          'Approval rejected',
          'Approval rejected',
        ])
      })
    }

    it('does not check the input of a rejection', () => {
      const d = decideApproval(gate(schema), { ...reject('no'), input: { ticket: 7 } })
      expect(d.ok && [d.event, d.output]).to.deep.equal([
        'reject',
        {
          approval_message: MESSAGE,
          approved: false,
          approved_by: 'bob',
          approved_at: NOW_ISO,
          rejection_reason: 'no',
        },
      ])
    })

    describe(`a rejection reason is cut to ${MAX_REJECTION_BYTES} UTF-8 bytes between characters`, () => {
      // [what, reason, the reason kept]
      const rows: Array<[string, string, string]> = [
        ['4096 ASCII bytes, kept whole', 'a'.repeat(4096), 'a'.repeat(4096)],
        ['4097 ASCII bytes', 'a'.repeat(4097), 'a'.repeat(4096)],
        ['2048 two-byte characters, kept whole', 'é'.repeat(2048), 'é'.repeat(2048)],
        ['a two-byte character across the limit', `a${'é'.repeat(2048)}`, `a${'é'.repeat(2047)}`],
        ['a three-byte character across the limit', '€'.repeat(1366), '€'.repeat(1365)],
        [
          'a four-byte character across the limit',
          `ab${'😀'.repeat(1024)}`,
          `ab${'😀'.repeat(1023)}`,
        ],
        ['a long reason, trimmed before it is cut', `   ${'b'.repeat(4096)}   `, 'b'.repeat(4096)],
      ]
      for (const [what, reason, kept] of rows) {
        it(what, () => {
          const d = decideApproval(gate(), reject(reason))
          if (!d.ok) throw new Error(d.message)
          expect(d.reason).to.equal(kept)
          expect(d.output.rejection_reason).to.equal(kept)
          expect(bytes(kept)).to.be.at.most(MAX_REJECTION_BYTES)
        })
      }
    })

    it('names the timeout reason', () => {
      expect(APPROVAL_TIMED_OUT).to.equal('approval timed out')
    })
  })
})
