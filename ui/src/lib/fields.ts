import type { CaseField } from './ipc';
import type { MessageKey } from './i18n';

/** The label of each case section; a section added in Rust fails the type check until named here. */
export const FIELD_LABEL: Record<CaseField, MessageKey> = {
  title: 'field.title',
  country: 'field.country',
  language: 'field.language',
  government_level: 'field.government_level',
  institutions: 'field.institutions',
  partners: 'field.partners',
  start_year: 'field.start_year',
  stage: 'field.stage',
  themes: 'field.themes',
  summary: 'field.summary',
  problem: 'field.problem',
  solution: 'field.solution',
  innovation: 'field.innovation',
  objectives: 'field.objectives',
  stakeholders: 'field.stakeholders',
  implementation: 'field.implementation',
  resources: 'field.resources',
  ict_components: 'field.ict_components',
  results: 'field.results',
  obstacles: 'field.obstacles',
  sustainability: 'field.sustainability',
  transferability: 'field.transferability',
  lessons_learned: 'field.lessons_learned',
  related_policy: 'field.related_policy',
  links: 'field.links',
};
