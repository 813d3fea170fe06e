/** Form controls generated from an input schema (lib/input-form.ts), each with its label and error. */
import type { FormField, FormValue, FormValues } from '../lib/input-form.ts'

function Control(props: {
  field: FormField
  id: string
  value: FormValue | undefined
  describedBy: string | undefined
  invalid: boolean
  onChange: (v: FormValue) => void
}) {
  const { field: f, id, value } = props
  const common = {
    id,
    name: f.name,
    'aria-describedby': props.describedBy,
    'aria-invalid': props.invalid ? ('true' as const) : undefined,
    'aria-required': f.required ? ('true' as const) : undefined,
  }
  const text = typeof value === 'string' ? value : ''
  const onText = (ev: Event) => props.onChange((ev.currentTarget as HTMLInputElement).value)
  switch (f.kind) {
    case 'textarea':
      return <textarea {...common} rows={3} value={text} onInput={onText} />
    case 'integer':
    case 'number':
      return (
        <input
          {...common}
          type="text"
          inputMode={f.kind === 'integer' ? 'numeric' : 'decimal'}
          value={text}
          onInput={onText}
        />
      )
    case 'boolean':
      return (
        <input
          {...common}
          type="checkbox"
          checked={value === true}
          onChange={(ev) => props.onChange(ev.currentTarget.checked)}
        />
      )
    case 'date':
      return <input {...common} type="date" value={text} onInput={onText} />
    case 'datetime':
      return <input {...common} type="datetime-local" value={text} onInput={onText} />
    case 'select':
      return (
        <select {...common} value={text} onChange={onText}>
          <option value="">{f.required ? '— choose —' : '(default)'}</option>
          {f.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      )
    case 'combo':
      return (
        <>
          <input {...common} type="text" list={`${id}-options`} value={text} onInput={onText} />
          <datalist id={`${id}-options`}>
            {f.options.map((o) => (
              <option key={o} value={o} />
            ))}
          </datalist>
        </>
      )
    case 'multi': {
      const chosen = Array.isArray(value) ? value : []
      return (
        <div class="multi" role="group" aria-labelledby={`${id}-label`} id={id}>
          {f.options.map((o) => (
            <label key={o} class="check">
              <input
                type="checkbox"
                name={f.name}
                value={o}
                checked={chosen.includes(o)}
                onChange={(ev) => {
                  const on = ev.currentTarget.checked
                  props.onChange(on ? [...chosen, o] : chosen.filter((x) => x !== o))
                }}
              />
              {o}
            </label>
          ))}
        </div>
      )
    }
    case 'secret':
      return (
        <input
          {...common}
          type="password"
          autocomplete="off"
          value={text}
          onInput={onText}
          placeholder={f.def.default !== undefined ? '(default, hidden)' : ''}
        />
      )
    case 'text':
      return <input {...common} type="text" value={text} onInput={onText} />
  }
}

export function InputFields(props: {
  fields: ReadonlyArray<FormField>
  values: FormValues
  errors: Readonly<Record<string, string>>
  idPrefix: string
  onChange: (name: string, value: FormValue) => void
}) {
  return (
    <div class="fields">
      {props.fields.map((f) => {
        const id = `${props.idPrefix}-${f.name}`
        const error = props.errors[f.name]
        const described = [f.description ? `${id}-help` : '', error ? `${id}-error` : '']
          .filter(Boolean)
          .join(' ')
        return (
          <div
            key={f.name}
            class={`field field-${f.kind} ${error ? 'field-invalid' : ''}`}
            data-field={f.name}
          >
            <label for={id} id={`${id}-label`}>
              {f.label}
              {f.required && (
                <span class="req" aria-hidden="true">
                  {' '}
                  *
                </span>
              )}
              <span class="field-type">{f.type}</span>
            </label>
            <Control
              field={f}
              id={id}
              value={props.values[f.name]}
              describedBy={described || undefined}
              invalid={error !== undefined}
              onChange={(v) => props.onChange(f.name, v)}
            />
            {f.description && (
              <p class="help" id={`${id}-help`}>
                {f.description}
              </p>
            )}
            {error && (
              <p class="field-error" id={`${id}-error`} role="alert">
                {error}
              </p>
            )}
          </div>
        )
      })}
    </div>
  )
}
