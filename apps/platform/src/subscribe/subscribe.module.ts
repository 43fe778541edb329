import { Module } from "@nestjs/common";
import { SubscribeController } from "./subscribe.controller";

@Module({ providers: [SubscribeController] })
export class SubscribeModule {}
