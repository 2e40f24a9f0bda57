// The wizard: everything submitMissionPlan takes, with the API's field errors shown
// next to their fields.
import { gql } from "../api.js";
import { append, fill, h, titleCase } from "../dom.js";
import { placeErrors } from "../fields.js";
import { SUBMIT } from "../queries.js";

const SCENARIOS = [
  "HURRICANE", "EARTHQUAKE", "WILDFIRE", "FLOOD", "TORNADO", "WINTER_STORM",
  "EXTREME_HEAT", "PANDEMIC", "POWER_GRID_FAILURE", "CIVIL_UNREST", "NUCLEAR_EVENT",
  "ECONOMIC_COLLAPSE",
];
const STRATEGIES = ["SHELTER_IN_PLACE", "EVACUATE", "FLEXIBLE"];
const TIERS = ["ESSENTIAL", "STANDARD", "ENHANCED", "PREMIUM"];

export async function render(root, _params, { navigate }) {
  let idempotencyKey = crypto.randomUUID();
  const members = h("div", { id: "members" });
  const formError = h("div", { id: "form-error" });
  const form = h(
    "form",
    { id: "wizard", novalidate: true },
    fieldset("Where you live", null,
      h("div", { class: "row" },
        textField("location.city", "City", { required: true }),
        textField("location.state", "State", { required: true, size: 6 }),
        textField("location.postalCode", "Postal code", { size: 10 }),
        textField("location.country", "Country", { value: "US", size: 4 }),
      ),
    ),
    fieldset("What worries you", "scenarios",
      h("div", { class: "choices" },
        SCENARIOS.map((scenario) =>
          h("label", {},
            h("input", { type: "checkbox", name: "scenario", value: scenario }),
            titleCase(scenario),
          ),
        ),
      ),
    ),
    fieldset("Who is in the family", "familyMembers",
      members,
      h("button", { type: "button", class: "secondary", id: "add-member",
        onClick: () => members.append(memberRow(members)) }, "Add a family member"),
    ),
    fieldset("Pets, moving and budget", null,
      h("div", { class: "row" },
        numberField("petCount", "Pets", 0),
        selectField("mobilityPlan.strategy", "If disaster strikes", STRATEGIES, "SHELTER_IN_PLACE"),
        h("label", { dataset: { field: "mobilityPlan.hasVehicle" } },
          h("input", { type: "checkbox", name: "mobilityPlan.hasVehicle" }), " We have a vehicle"),
        selectField("budgetTier", "Budget", TIERS, "STANDARD"),
        numberField("durationDays", "Days to plan for", 14),
      ),
    ),
    fieldset("Anything else", null,
      h("label", { dataset: { field: "notes" } },
        h("span", { class: "label" }, "Notes"),
        h("textarea", { name: "notes", maxlength: 2000 }),
      ),
    ),
    formError,
    h("button", { type: "submit", id: "submit" }, "Create my plan"),
  );
  members.append(memberRow(members));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form, formError);
    const { input, errors } = readInput(form);
    if (errors.length) return showErrors(form, formError, errors);
    const button = form.querySelector("#submit");
    button.disabled = true;
    try {
      const result = (await gql(SUBMIT, { input, key: idempotencyKey })).submitMissionPlan;
      if (result.__typename === "SubmitMissionPlanSuccess") {
        idempotencyKey = crypto.randomUUID();
        navigate(`/plans/${result.report.id}/progress`);
      } else if (result.__typename === "ValidationError") {
        showErrors(form, formError, result.errors.length ? result.errors : [result]);
      } else {
        showErrors(form, formError, [{ field: "", message: result.message }]);
      }
    } catch (error) {
      showErrors(form, formError, [{ field: "", message: error.message }]);
    } finally {
      button.disabled = false;
    }
  });
  fill(root, h("h1", {}, "Plan for an emergency"), form);
}

function fieldset(title, path, ...children) {
  return h("fieldset", { dataset: path ? { field: path } : {} }, h("legend", {}, title), ...children);
}

function textField(path, label, { required = false, value = "", size = 18 } = {}) {
  return h("label", { dataset: { field: path } },
    h("span", { class: "label" }, required ? `${label} *` : label),
    h("input", { type: "text", name: path, value, size }),
  );
}

function numberField(path, label, value) {
  return h("label", { dataset: { field: path } },
    h("span", { class: "label" }, label),
    h("input", { type: "number", name: path, value: String(value), step: 1 }),
  );
}

function selectField(path, label, choices, selected) {
  return h("label", { dataset: { field: path } },
    h("span", { class: "label" }, label),
    h("select", { name: path },
      choices.map((choice) => h("option", { value: choice, selected: choice === selected }, titleCase(choice))),
    ),
  );
}

function memberRow(members) {
  const row = h("div", { class: "member row" },
    h("label", { dataset: { role: "name" } }, h("span", { class: "label" }, "Name"),
      h("input", { type: "text", name: "member-name", size: 14 })),
    h("label", { dataset: { role: "age" } }, h("span", { class: "label" }, "Age *"),
      h("input", { type: "number", name: "member-age", min: 0, max: 120, step: 1 })),
    h("label", { dataset: { role: "medicalNeeds" } },
      h("span", { class: "label" }, "Medical needs (comma-separated)"),
      h("input", { type: "text", name: "member-needs", size: 28 })),
    h("button", { type: "button", class: "secondary", onClick: () => {
      row.remove();
      numberMembers(members);
    } }, "Remove"),
  );
  queueMicrotask(() => numberMembers(members));
  return row;
}

/** Keeps each row's data-field paths in step with its index, as the API names them. */
function numberMembers(members) {
  [...members.children].forEach((row, index) => {
    row.dataset.field = `familyMembers[${index}]`;
    for (const label of row.querySelectorAll("label[data-role]")) {
      label.dataset.field = `familyMembers[${index}].${label.dataset.role}`;
    }
  });
}

function readInput(form) {
  const value = (name) => form.elements.namedItem(name).value;
  const errors = [];
  const integer = (raw, field, label) => {
    const text = String(raw).trim();
    if (!/^-?\d{1,9}$/.test(text)) {
      errors.push({ field, message: `${label} must be a whole number.` });
      return 0;
    }
    return Number(text);
  };
  numberMembers(form.querySelector("#members"));
  const familyMembers = [...form.querySelectorAll("#members > .member")].map((row, index) => ({
    name: row.querySelector("[name=member-name]").value.trim() || null,
    age: integer(row.querySelector("[name=member-age]").value, `familyMembers[${index}].age`, "Age"),
    medicalNeeds: row.querySelector("[name=member-needs]").value
      .split(",").map((need) => need.trim()).filter(Boolean),
  }));
  const input = {
    location: {
      city: value("location.city"),
      state: value("location.state"),
      country: value("location.country").trim() || "US",
      postalCode: value("location.postalCode").trim() || null,
    },
    scenarios: [...form.querySelectorAll("input[name=scenario]:checked")].map((box) => box.value),
    familyMembers,
    mobilityPlan: {
      strategy: value("mobilityPlan.strategy"),
      hasVehicle: form.elements.namedItem("mobilityPlan.hasVehicle").checked,
    },
    budgetTier: value("budgetTier"),
    durationDays: integer(value("durationDays"), "durationDays", "Days"),
    petCount: integer(value("petCount"), "petCount", "Pets"),
    notes: value("notes").trim() || null,
  };
  return { input, errors };
}

function clearErrors(form, formError) {
  form.querySelectorAll(".field-error").forEach((node) => node.remove());
  form.querySelectorAll(".invalid").forEach((node) => node.classList.remove("invalid"));
  fill(formError);
  formError.className = "";
}

function showErrors(form, formError, errors) {
  const target = (path) => (path ? form.querySelector(`[data-field="${CSS.escape(path)}"]`) : null);
  const placed = placeErrors(errors, (path) => target(path) !== null);
  for (const [path, messages] of placed) {
    const element = target(path);
    if (!element) {
      formError.className = "form-error";
      append(formError, messages.map((message) => h("div", { role: "alert" }, message)));
      continue;
    }
    element.classList.add("invalid");
    append(element, messages.map((message) =>
      h("div", { class: "field-error", role: "alert", dataset: { errorFor: path } }, message)));
  }
  form.querySelector(".invalid input, .invalid select, .invalid textarea")?.focus();
}
