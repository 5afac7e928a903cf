import { metadataStoreSuite } from '../../core/metadata/testsuite/index.js';
import { createSqliteMetadataStore } from './sqlite-metadata-store.js';

metadataStoreSuite('metadata-sqlite', {
  create: createSqliteMetadataStore,
  module: new URL('./sqlite-metadata-store.js', import.meta.url).href,
  factory: 'createSqliteMetadataStore',
  todo: {
    'rename-conflict': 'updateContainer lets SQLITE_CONSTRAINT_UNIQUE through instead of BERTH_E_CONTAINER_NAME_IN_USE',
    'id-conflict': 'createContainer lets SQLITE_CONSTRAINT_PRIMARYKEY through',
  },
});
