/** A suspended approval step: its message, the fields it asks for, approve or reject with a reason. */
import { useState } from 'preact/hooks'
import { ApiError, enc, post } from '../data/client.ts'
import type { StepDto } from '../data/types.ts'
import {
  fieldErrors,
  formFields,
  initialValues,
  toInput,
  type FormValues,
} from '../lib/input-form.ts'
import { InputFields } from './input-fields.tsx'
import { Button, ErrorNotice } from './ui.tsx'

export function ApprovalCard(props: { jobId: string; step: StepDto; onDecided: () => void }) {
  const { step } = props
  const fields = formFields(step.approval_fields ?? {})
  const [values, setValues] = useState<FormValues>(() => initialValues(fields))
  const [reason, setReason] = useState('')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const id = `approve-${step.step_name}`

  const decide = async (approved: boolean) => {
    setBusy(true)
    setErrors({})
    setError(null)
    try {
      await post(`/api/jobs/${enc(props.jobId)}/steps/${enc(step.step_name)}/approve`, {
        approved,
        input: approved ? toInput(fields, values) : undefined,
        rejection_reason: !approved && reason.trim() !== '' ? reason : undefined,
      })
      props.onDecided()
    } catch (e) {
      if (e instanceof ApiError && e.code === 'validation_failed') {
        const per = fieldErrors(e.message)
        setErrors(per)
        if (per['']) setError(per[''])
      } else setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section class="card approval" aria-labelledby={`${id}-title`} data-testid="approval-card">
      <header class="card-head">
        <h2 id={`${id}-title`}>Approval needed: {step.step_name}</h2>
      </header>
      <p class="approval-message">{step.approval_message ?? 'This step waits for a decision.'}</p>
      <form
        onSubmit={(ev) => {
          ev.preventDefault()
          void decide(true)
        }}
      >
        <InputFields
          fields={fields}
          values={values}
          errors={errors}
          idPrefix={id}
          onChange={(name, v) => setValues((cur) => ({ ...cur, [name]: v }))}
        />
        <div class="field">
          <label for={`${id}-reason`}>Reason (for a rejection)</label>
          <textarea
            id={`${id}-reason`}
            rows={2}
            value={reason}
            onInput={(ev) => setReason(ev.currentTarget.value)}
          />
        </div>
        <ErrorNotice error={error} />
        <div class="form-actions">
          <Button type="submit" variant="primary" disabled={busy}>
            Approve
          </Button>
          <Button variant="danger" disabled={busy} onClick={() => void decide(false)}>
            Reject
          </Button>
        </div>
      </form>
    </section>
  )
}
