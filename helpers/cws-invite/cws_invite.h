/* cws-invite's parts, one concern per file:
 *   main.c           arguments and the commands' table
 *   key.c            init and pubkey: the administrator key
 *   invitations.c    create, list, show and revoke
 *   keychain_cmd.c   keychain and keychain import-credentials */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "cws/chain.h"
#include "cws/invitation.h"
#include "cws/invite.h"
#include "cws/revoke.h"
#include "admin_registry.h"
#include "cli.h"
#include "cws/cleanup.h"
#include "cws/keystore.h"
#include "cws/registry_s3.h"
#include "cws/safe_file.h"

typedef struct options {
        const char *config;
        admin_key_source key;      /* --keystore, --passphrase-file, --keychain */
        const char *parent;
        const char *parent_file;
        bool json;
        cws_invitation inv;        /* create's settings */
        uint32_t valid_for;        /* seconds */
} options;

int cmd_init(const options *o);
int cmd_pubkey(const options *o);
int cmd_create(const options *o, const char *name);
int cmd_list(const options *o);
int cmd_show(const options *o, const char *id);
int cmd_revoke(const options *o, const char *id);
int cmd_keychain(const options *o);
int cmd_import_credentials(const options *o, const char *file);
